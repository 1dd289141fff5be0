#!/usr/bin/perl

# ngx-onlyoffice-jwt: the "callback" profile in front of seahub's
# /onlyoffice/editor-callback/, with save callbacks signed the way the ONLYOFFICE
# Document Server signs them (a flat body token and a header token wrapping the same
# fields in "payload", both HS256 with iat and exp = iat + 300), forged and altered
# callbacks, expiry, the size trim of the header token, a custom token header, and the
# Document Server's document download ("download" profile).

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

use JSON::PP;

###############################################################################

my $SECRET = 'cb-0123456789abcdef0123456789abcdef-secret';
my $OTHER = 'xx-0123456789abcdef0123456789abcdef-other';

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(72)
	->write_file_expand('nginx.conf', http_conf(server_conf(8080, <<"EOF")));
        onlyoffice_jwt_secret $SECRET;
        add_header X-Err \$onlyoffice_jwt_error always;

        location /onlyoffice/editor-callback/ {
            onlyoffice_jwt callback;
            proxy_pass http://127.0.0.1:8081;
        }

        location /noexp/editor-callback/ {
            onlyoffice_jwt callback;
            onlyoffice_jwt_require_exp off;
            proxy_pass http://127.0.0.1:8081;
        }

        location /jwthdr/editor-callback/ {
            onlyoffice_jwt callback;
            onlyoffice_jwt_header AuthorizationJwt;
            proxy_pass http://127.0.0.1:8081;
        }

        # the exact example of reference/onlyoffice-protocol.md section 3, signed by
        # node jsonwebtoken with "my_jwt_secret" at iat 1735732800
        location /ref/editor-callback/ {
            onlyoffice_jwt callback;
            onlyoffice_jwt_secret my_jwt_secret;
            onlyoffice_jwt_leeway 3650d;
            proxy_pass http://127.0.0.1:8081;
        }

        location /seafhttp/files/ {
            onlyoffice_jwt download;
            proxy_pass http://127.0.0.1:8081;
        }
EOF

run_with_echo_backend($t);

###############################################################################

# Callbacks as the Document Server builds them (OutputSfcData member order).

my $KEY = 'a1b2c3d4e5f6a7b8c9d0';
my $DS = 'https://office.example.com';
my $USER = 'alice@example.com';
my $CB = '/onlyoffice/editor-callback/';

sub history {
	return {
		serverVersion => '8.2.0',
		changes => [ map { {
			created => "2025-01-01 11:5$_:10",
			user => { id => $USER, name => 'alice' },
		} } 0 .. 2 ],
	};
}

sub signed_url {
	my ($name) = @_;
	return "$DS/cache/files/data/${KEY}_4711/$name/$name"
		. '?md5=Qx3Jt0dWkVbLhP7yC0aRZg&expires=1735733700&filename=' . $name;
}

# the callback object (without token) for a status, as [ name => value, ... ]
sub fields {
	my ($status) = @_;
	$status = 0 + $status;

	if ($status == 1) {
		return [ key => $KEY, status => 1, users => [$USER],
			actions => [ { type => 1, userid => $USER } ] ];
	}

	if ($status == 4) {
		return [ key => $KEY, status => 4,
			actions => [ { type => 0, userid => $USER } ] ];
	}

	# 2 (MustSave) and 6 (MustSaveForce)
	return [
		key => $KEY,
		status => $status,
		url => signed_url('output.docx'),
		changesurl => signed_url('changes.zip'),
		history => history(),
		users => [$USER],
		actions => [ { type => $status == 6 ? 2 : 0, userid => $USER } ],
		lastsave => '2025-01-01T11:58:10.000Z',
		notmodified => JSON::PP::false,
		($status == 6 ? (forcesavetype => 1) : ()),
		filetype => 'docx',
	];
}

sub body_token {
	my ($fields, %opts) = @_;
	my $secret = delete $opts{secret} // $SECRET;
	return jwt($secret, { @$fields }, ttl => 300, %opts);
}

sub header_token {
	my ($fields, %opts) = @_;
	my $secret = delete $opts{secret} // $SECRET;
	return jwt($secret, { payload => { @$fields } }, ttl => 300, %opts);
}

sub post {
	my ($uri, $body, @headers) = @_;
	return http_req('POST', $uri,
		headers => [ 'Content-Type: application/json',
			'User-Agent: Node.js/6.13', @headers ],
		body => $body);
}

###############################################################################

# genuine callbacks, both tokens

for my $status (1, 2, 4, 6) {
	my ($body, $auth) = signed_callback($SECRET, fields($status));
	my $r = post($CB, $body, $auth);
	is(status_of($r), 200, "status $status callback accepted");
	like($r, echo_of($body), "status $status callback: backend got the identical body");
}

# one token only

my $f2 = fields(2);

{
	my $body = ds_posted_body($f2);
	my $r = post($CB, $body, 'Authorization: Bearer ' . header_token($f2));
	is(status_of($r), 200, 'header token only');
	like($r, echo_of($body), 'header token only: identical body');

	$body = ds_posted_body($f2, body_token($f2));
	$r = post($CB, $body);
	is(status_of($r), 200, 'body token only');
	like($r, echo_of($body), 'body token only: identical body');
}

# the Document Server's size trim: the header token and the posted body lack changesurl
# and have history {}; only the body token keeps both

{
	my $trimmed = ds_with(ds_without($f2, 'changesurl'), history => {});
	my $body = ds_posted_body($trimmed, body_token($f2));
	my $r = post($CB, $body, 'Authorization: Bearer ' . header_token($trimmed));
	is(status_of($r), 200, 'size trim: trimmed header token and body, full body token');
	like($r, echo_of($body), 'size trim: identical body');

	# the body keeps the full history, the header payload has history {}
	my $full_history = ds_without($f2, 'changesurl');
	$body = ds_posted_body($full_history, body_token($f2));
	$r = post($CB, $body, 'Authorization: Bearer ' . header_token($trimmed));
	is(status_of($r), 200, 'size trim: full body history, header history {}');

	# the trimmed header token alone with the trimmed body
	$body = ds_posted_body($trimmed);
	$r = post($CB, $body, 'Authorization: Bearer ' . header_token($trimmed));
	is(status_of($r), 200, 'size trim: trimmed header token only');
}

# the exact example of the protocol reference (node jsonwebtoken output)

{
	my $body = '{"key":"a1b2c3d4e5f6a7b8c9d0","status":4,"actions":[{"type":0,"userid":"alice@example.com"}],"token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJhMWIyYzNkNGU1ZjZhN2I4YzlkMCIsInN0YXR1cyI6NCwiYWN0aW9ucyI6W3sidHlwZSI6MCwidXNlcmlkIjoiYWxpY2VAZXhhbXBsZS5jb20ifV0sImlhdCI6MTczNTczMjgwMCwiZXhwIjoxNzM1NzMzMTAwfQ.kWZDv3WFbMXMF0HehQt0Hbyd20dnt6CA-9sgPPL4vQw"}';
	my $auth = 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJwYXlsb2FkIjp7ImtleSI6ImExYjJjM2Q0ZTVmNmE3YjhjOWQwIiwic3RhdHVzIjo0LCJhY3Rpb25zIjpbeyJ0eXBlIjowLCJ1c2VyaWQiOiJhbGljZUBleGFtcGxlLmNvbSJ9XX0sImlhdCI6MTczNTczMjgwMCwiZXhwIjoxNzM1NzMzMTAwfQ.LDxuG2KrHb_HkzbTLymDGpq3FdbBneU54BKRTkDh2kQ';
	my $r = post('/ref/editor-callback/', $body, $auth);
	is(status_of($r), 200, 'reference example (node jsonwebtoken) accepted');

	(my $forged = $body) =~ s/"status":4/"status":2/;
	$r = post('/ref/editor-callback/', $forged, $auth);
	is(status_of($r), 403, 'reference example with status changed: 403');
}

# the body says something the tokens do not

for my $case (
	[ 'url', url => 'http://attacker.example/evil.docx' ],
	[ 'status', status => 6 ],
	[ 'status as a string', status => '2' ],
	[ 'key', key => 'ffffffffffffffffffff' ],
	[ 'extra member', userdata => 'x' ],
) {
	my ($name, %set) = @$case;
	my $body = ds_posted_body(ds_with($f2, %set), body_token($f2));
	my $r = post($CB, $body, 'Authorization: Bearer ' . header_token($f2));
	is(status_of($r), 403, "body $name differs from the tokens: 403");
	is(header_of($r, 'X-Err'), 'body_mismatch', "body $name differs: body_mismatch");
}

{
	# a forged body with a header token replayed from a genuine status 4 callback
	my $f4 = fields(4);
	my $body = ds_posted_body(ds_with($f4, status => 2, url => 'http://attacker.example/x'));
	my $r = post($CB, $body, 'Authorization: Bearer ' . header_token($f4));
	is(status_of($r), 403, 'header token replayed with a forged body: 403');

	# a good body token, but a header token of another callback
	$body = ds_posted_body($f2, body_token($f2));
	$r = post($CB, $body, 'Authorization: Bearer ' . header_token($f4));
	is(status_of($r), 403, 'good body token, header token of another callback: 403');
}

# tokens without key or status

for my $drop (qw/ key status /) {
	my $f = ds_without(fields(4), $drop);
	my ($body, $auth) = signed_callback($SECRET, $f);
	my $r = post($CB, $body, $auth);
	is(status_of($r), 403, "token without $drop: 403");
	is(header_of($r, 'X-Err'), 'claims', "token without $drop: claims");
}

# expiry: exp + 60 s leeway

{
	my $f4 = fields(4);
	my $now = time();

	my %old = (iat => $now - 420, exp => $now - 120);
	my $body = ds_posted_body($f4, jwt($SECRET, { @$f4, %old }));
	my $r = post($CB, $body,
		'Authorization: Bearer ' . jwt($SECRET, { payload => { @$f4 }, %old }));
	is(status_of($r), 401, 'expired beyond the leeway: 401');
	like(header_of($r, 'WWW-Authenticate') // '',
		qr/^Bearer realm="onlyoffice", error="invalid_token"$/,
		'expired: invalid_token challenge');
	is(header_of($r, 'X-Err'), 'expired', 'expired: X-Err');

	my %recent = (iat => $now - 330, exp => $now - 30);
	$body = ds_posted_body($f4, jwt($SECRET, { @$f4, %recent }));
	$r = post($CB, $body,
		'Authorization: Bearer ' . jwt($SECRET, { payload => { @$f4 }, %recent }));
	is(status_of($r), 200, 'expired within the leeway: 200');

	# no exp (iat only)
	$body = ds_posted_body($f4, jwt($SECRET, { @$f4, iat => $now }));
	$r = post($CB, $body,
		'Authorization: Bearer ' . jwt($SECRET, { payload => { @$f4 }, iat => $now }));
	is(status_of($r), 401, 'no exp: 401');
	is(header_of($r, 'X-Err'), 'expired', 'no exp: X-Err expired');

	$r = post('/noexp/editor-callback/', $body,
		'Authorization: Bearer ' . jwt($SECRET, { payload => { @$f4 }, iat => $now }));
	is(status_of($r), 200, 'no exp, require_exp off: 200');
	like($r, echo_of($body), 'no exp, require_exp off: identical body');
}

# forged callbacks

{
	my $body = ds_posted_body(ds_with($f2, url => 'http://attacker.example/x.docx'));
	my $r = post($CB, $body);
	is(status_of($r), 401, 'no token: 401');
	is(header_of($r, 'WWW-Authenticate'), 'Bearer realm="onlyoffice"',
		'no token: challenge without error');
	is(header_of($r, 'X-Err'), 'missing', 'no token: X-Err missing');

	$body = ds_posted_body($f2, body_token($f2, secret => $OTHER));
	$r = post($CB, $body, 'Authorization: Bearer ' . header_token($f2, secret => $OTHER));
	is(status_of($r), 401, 'signed with another secret: 401');
	like(header_of($r, 'WWW-Authenticate') // '', qr/error="invalid_token"/,
		'another secret: invalid_token');
	is(header_of($r, 'X-Err'), 'signature', 'another secret: X-Err signature');

	# only the header is forged: a request carrying any bad token is refused
	$body = ds_posted_body($f2, body_token($f2));
	$r = post($CB, $body, 'Authorization: Bearer ' . header_token($f2, secret => $OTHER));
	is(status_of($r), 401, 'good body token, header token with another secret: 401');

	# HS512 is not among the default algorithms
	$body = ds_posted_body($f2, body_token($f2, alg => 'HS512'));
	$r = post($CB, $body);
	is(status_of($r), 401, 'HS512 body token with default algorithms: 401');

	my $auth = 'Authorization: Bearer ' . header_token($f2);
	$r = post($CB, 'key=' . $KEY . '&status=2', $auth);
	is(status_of($r), 403, 'not JSON body with a valid header token: 403');

	$r = http_req('POST', $CB, headers => [ $auth ]);
	is(status_of($r), 403, 'no body with a valid header token: 403');

	$r = post($CB, '', $auth);
	is(status_of($r), 403, 'empty body with a valid header token: 403');

	$r = post($CB, '[' . ds_posted_body($f2) . ']', $auth);
	is(status_of($r), 403, 'JSON array body with a valid header token: 403');

	# the integrator reads no query token
	$r = post($CB . '?token=' . body_token($f2), ds_posted_body($f2));
	is(status_of($r), 401, 'a token in the query is not read: 401');
}

# equal JSON values: member order inside objects does not matter

{
	my $f4 = fields(4);
	my $body = '{"key":"' . $KEY . '","status":4,"actions":[{"userid":"' . $USER
		. '","type":0}],"token":"' . body_token($f4) . '"}';
	my $r = post($CB, $body, 'Authorization: Bearer ' . header_token($f4));
	is(status_of($r), 200, 'nested members in another order than signed: 200');
}

# a custom token header (JWT_HEADER = AuthorizationJwt)

{
	my $uri = '/jwthdr/editor-callback/';
	my $body = ds_posted_body($f2);
	my $r = post($uri, $body, 'AuthorizationJwt: Bearer ' . header_token($f2));
	is(status_of($r), 200, 'AuthorizationJwt header token');
	like($r, echo_of($body), 'AuthorizationJwt: identical body');

	$body = ds_posted_body($f2, body_token($f2));
	$r = post($uri, $body, 'AuthorizationJwt: Bearer ' . header_token($f2));
	is(status_of($r), 200, 'AuthorizationJwt header and body tokens');

	$body = ds_posted_body($f2);
	$r = post($uri, $body, 'Authorization: Bearer ' . header_token($f2));
	is(status_of($r), 401, 'token in Authorization where AuthorizationJwt is read: 401');

	$r = post($uri, $body, 'AuthorizationJwt: Bearer ' . header_token($f2, secret => $OTHER));
	is(status_of($r), 401, 'AuthorizationJwt forged: 401');

	$r = post($uri, $body, 'AuthorizationJwt: Bearer ' . header_token($f2),
		'AuthorizationJwt: Bearer ' . header_token($f2));
	is(status_of($r), 401, 'AuthorizationJwt given twice: 401');
}

# the document download (DS -> seahub): GET document.url with a header token

{
	my $tok = 'f0a1b2c3-d4e5-4f60-8a9b-0c1d2e3f4a5b';
	my $base = 'https://seafile.example.com';
	my $dl = sub {
		my ($uri, $url, %opts) = @_;
		my $claims = { payload => { url => $url } };
		my $token = $opts{noexp}
			? jwt($SECRET, { %$claims, iat => time() })
			: jwt($SECRET, $claims, ttl => 300);
		return http_req('GET', $uri, headers => [
			'User-Agent: Node.js/6.13', "Authorization: Bearer $token" ]);
	};

	my $path = "/seafhttp/files/$tok/report.docx";
	my $r = $dl->($path, "$base$path");
	is(status_of($r), 200, 'download with its url token');
	like($r, qr/echo method=GET uri=\Q$path\E\x0a/, 'download proxied');

	$r = $dl->("/seafhttp/files/$tok/other.docx", "$base$path");
	is(status_of($r), 403, 'download of another path: 403');

	$r = $dl->("/seafhttp/files/$tok/report%20x.docx", "$base/seafhttp/files/$tok/report x.docx");
	is(status_of($r), 200, 'download: request percent-encoded, token url raw');

	$r = $dl->("/seafhttp/files/$tok/report%20x.docx",
		"$base/seafhttp/files/$tok/report%20x.docx");
	is(status_of($r), 200, 'download: both percent-encoded');

	$r = $dl->("$path?dl=1", "$base$path?dl=1");
	is(status_of($r), 200, 'download with a query in the url');

	$r = $dl->($path, "$base$path?dl=1");
	is(status_of($r), 403, 'download without the signed query: 403');

	$r = $dl->("$path?dl=1", "$base$path");
	is(status_of($r), 403, 'download with an unsigned query: 403');

	$r = $dl->($path, "$base$path", noexp => 1);
	is(status_of($r), 401, 'download token without exp: 401');

	$r = http_req('GET', $path);
	is(status_of($r), 401, 'download without a token: 401');
}

###############################################################################
