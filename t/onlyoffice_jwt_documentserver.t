#!/usr/bin/perl

# ngx-onlyoffice-jwt: the "documentserver" profile in front of an ONLYOFFICE Document
# Server: which paths are checked (and as which service), which pass unchecked, the
# per-service claim checks, seahub's browser tokens replayed at the services, where the
# token is taken from (body, query, header), and bodies that look like JSON but are not.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

use IO::Select;
use JSON::PP;

###############################################################################

my $SECRET = 'ds-0123456789abcdef0123456789abcdef-secret';
my $OTHER = 'xx-0123456789abcdef0123456789abcdef-other';

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(128)
	->write_file_expand('nginx.conf', http_conf(server_conf(8080, <<"EOF")));
        onlyoffice_jwt_secret $SECRET;
        add_header X-Err \$onlyoffice_jwt_error always;
        client_max_body_size 10m;

        location / {
            onlyoffice_jwt documentserver;
            proxy_pass http://127.0.0.1:8081;
        }
EOF

run_with_echo_backend($t);

###############################################################################

my $KEY = '0f1e2d3c4b5a69788796';
my $SEAFILE = 'https://seafile.example.com';
my $FILE_URL = "$SEAFILE/seafhttp/files/3f2a9c1e-7d4b-4e8a-9b1c-2d3e4f5a6b7c/report.docx";

# what each service's requests carry (seahub's and the documentation's shapes)
my %CLAIMS = (
	command => { c => 'info', key => $KEY },
	convert => { url => $FILE_URL, outputtype => 'pdf', filetype => 'docx',
		title => 'report.docx', key => $KEY },
	builder => { async => JSON::PP::false,
		url => "$SEAFILE/media/scripts/sample.docbuilder" },
);

# a JSON body: the claims and, when given, the body token
sub body_of_claims {
	my ($claims, $token) = @_;
	my %b = %$claims;
	$b{token} = $token if defined $token;
	return json(\%b);
}

# a request as seahub sends it: flat body token, no exp
sub signed_body {
	my ($kind, %opts) = @_;
	my $claims = $CLAIMS{$kind};
	return body_of_claims($claims, jwt($opts{secret} // $SECRET, $claims));
}

sub post {
	my ($uri, $body, @headers) = @_;
	return http_req('POST', $uri,
		headers => [ 'Content-Type: application/json', @headers ],
		body => $body);
}

sub bearer {
	return 'Authorization: Bearer ' . $_[0];
}

sub uri_escape {
	my ($s) = @_;
	$s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
	return $s;
}

###############################################################################

# the paths that are checked, and as which service

my @checked = (
	[ '/command', 'command' ],
	[ '/COMMAND', 'command' ],
	[ '/command/', 'command' ],
	[ '//command', 'command' ],
	[ '/%63ommand', 'command' ],
	[ '/Command/', 'command' ],
	[ '/7.5.1-23/command', 'command' ],
	[ '/9.0.0-abc/coauthoring/CommandService.ashx', 'command' ],
	[ '/coauthoring/commandservice.ashx/', 'command' ],
	[ '/ConvertService.ashx', 'convert' ],
	[ '/converter', 'convert' ],
	[ '/CONVERTER/', 'convert' ],
	[ '/8.2.0-1/ConvertService.ashx', 'convert' ],
	[ '/docbuilder', 'builder' ],
	[ '/DocBuilder/', 'builder' ],
	[ '/a/b/command', 'command' ],
	[ '/command?x=1', 'command' ],
);

# a token of another service, which the service at the path refuses
my %WRONG = (command => 'convert', convert => 'command', builder => 'command');

for my $c (@checked) {
	my ($uri, $kind) = @$c;

	my $r = post($uri, body_of_claims($CLAIMS{$kind}));
	is(status_of($r), 401, "$uri: no token: 401");

	my $body = signed_body($kind);
	$r = post($uri, $body);
	is(status_of($r), 200, "$uri: $kind token: 200");

	$r = post($uri, signed_body($WRONG{$kind}));
	is(status_of($r), 403, "$uri: $WRONG{$kind} token: 403");
}

{
	my $body = signed_body('command');
	like(post('/7.5.1-23/command', $body), echo_of($body),
		'checked request: backend got the identical body');

	my $r = http_req('GET', '/command');
	is(status_of($r), 401, 'GET /command without a token: 401');
	is(header_of($r, 'WWW-Authenticate'), 'Bearer realm="onlyoffice"',
		'no token: challenge without error');
}

# the paths that pass unchecked

for my $uri ('/', '/web-apps/apps/api/documents/api.js', '/healthcheck', '/commandx',
	'/coauthoring', '/cache/files/x', '/8.2.0-1/doc/abc/c/?EIO=4&transport=polling')
{
	my $r = http_req('GET', $uri);
	is(status_of($r), 200, "$uri: unchecked");
}

{
	my $body = '{"c":"info","key":"x"}';
	my $r = post('/commandx', $body);
	like($r, echo_of($body), 'POST /commandx without a token: unchecked, identical body');
}

# the default onlyoffice_jwt_body_limit (1m) applies to the checked services only:
# uploads elsewhere are not read by the module

{
	my $big = '{"data":"' . ('x' x (1536 * 1024)) . '"}';
	my $r = http_req('POST', '/8.2.0-1/upload/abc', body => $big);
	is(status_of($r), 200, 'large upload to an unchecked path: 200');
	like($r, echo_of($big), 'large upload to an unchecked path: identical body');

	my $s = http("POST /converter HTTP/1.1\x0d\x0aHost: localhost\x0d\x0a"
		. "Connection: close\x0d\x0aContent-Length: " . length($big)
		. "\x0d\x0a\x0d\x0a", start => 1);
	my $head = '';
	my $sel = IO::Select->new($s);
	while ($head !~ /\x0d\x0a\x0d\x0a/ && $sel->can_read(3)) {
		$s->sysread($head, 4096, length $head) or last;
	}
	close $s;
	is(status_of($head), 413, 'large body to a checked path: 413');
	is(header_of($head, 'X-Err'), 'body_too_large', 'large body: body_too_large');
}

# the claims each service needs

for my $case (
	[ '/command', { key => $KEY }, 'command without c' ],
	[ '/converter', { url => $FILE_URL }, 'convert without outputtype' ],
	[ '/converter', { outputtype => 'pdf', filetype => 'docx' }, 'convert without url' ],
	[ '/docbuilder', { async => JSON::PP::false }, 'builder without url' ],
) {
	my ($uri, $claims, $name) = @$case;
	my $r = post($uri, body_of_claims($claims, jwt($SECRET, $claims)));
	is(status_of($r), 403, "$name: 403");
	is(header_of($r, 'X-Err'), 'claims', "$name: claims");
}

# seahub's browser-visible tokens, replayed at the services

my $now = time();

my %editor = (
	document => {
		fileType => 'docx', key => $KEY, title => 'report.docx', url => $FILE_URL,
		permissions => { download => JSON::PP::true, edit => JSON::PP::true,
			fillForms => JSON::PP::true, copy => JSON::PP::true,
			print => JSON::PP::true, review => JSON::PP::true },
	},
	documentType => 'word',
	editorConfig => {
		callbackUrl => "$SEAFILE/onlyoffice/editor-callback/",
		lang => 'en', mode => 'edit',
		customization => { forcesave => JSON::PP::false, submitForm => JSON::PP::false },
		user => { id => 'alice@example.com', name => 'alice',
			avatar_url => "$SEAFILE/media/avatars/default.png" },
	},
	exp => $now + 3 * 24 * 3600,
);

my $editor_token = jwt($SECRET, \%editor);
my $file_key = jwt($SECRET, { repo_id => '9e1b8f9c-0c4d-4bb6-9f1a-6e3c2b1a0d9f',
	file_path => '/a.docx' });
# an editor token that also carries every claim the services need
my $editor_plus = jwt($SECRET, { %editor, c => 'info', url => $FILE_URL,
	outputtype => 'pdf' });

for my $s ([ '/command', 'command' ], [ '/converter', 'convert' ],
	[ '/docbuilder', 'builder' ])
{
	my ($uri, $kind) = @$s;
	my $plain = body_of_claims($CLAIMS{$kind});

	for my $tk ([ 'editor config token', $editor_token ],
		[ 'file_key token', $file_key ],
		[ 'editor token with service claims', $editor_plus ])
	{
		my ($name, $token) = @$tk;

		my $r = post($uri, body_of_claims($CLAIMS{$kind}, $token));
		is(status_of($r), 403, "$uri: $name in the body: 403");

		$r = post($uri, $plain, bearer($token));
		is(status_of($r), 403, "$uri: $name in the header: 403");
	}
}

# seahub's conversion request: body token and header token, neither with exp

{
	my $payload = $CLAIMS{convert};
	my $token = jwt($SECRET, $payload);
	my $body = body_of_claims($payload, $token);
	my $header = jwt($SECRET, { payload => { %$payload, token => $token } });

	my $r = post('/ConvertService.ashx', $body, bearer($header));
	is(status_of($r), 200, 'seahub conversion request: 200');
	like($r, echo_of($body), 'seahub conversion request: identical body');

	# the same request with an expired token is refused
	my $old = jwt($SECRET, { %$payload, iat => $now - 3600, exp => $now - 600 });
	$r = post('/ConvertService.ashx', body_of_claims($payload, $old));
	is(status_of($r), 401, 'expired conversion token: 401');
}

# the command service, as the documentation shows it

{
	my $claims = $CLAIMS{command};
	my $plain = json($claims);

	my $r = post('/coauthoring/CommandService.ashx', signed_body('command'));
	is(status_of($r), 200, 'command: body token');

	$r = post('/command', $plain, bearer(jwt($SECRET, { payload => $claims })));
	is(status_of($r), 200, 'command: header token with payload, plain body');
	like($r, echo_of($plain), 'command: header token: identical body');

	$r = http_req('GET', '/coauthoring/CommandService.ashx?c=info&key=' . $KEY
		. '&token=' . jwt($SECRET, $claims));
	is(status_of($r), 200, 'command: GET with a query token');
}

# GET /ConvertService.ashx with the token in the query

{
	my $claims = { url => $FILE_URL, outputtype => 'pdf' };
	my $token = jwt($SECRET, $claims);
	my $q = 'url=' . uri_escape($FILE_URL) . '&outputtype=pdf';

	my $r = http_req('GET', "/ConvertService.ashx?$q&token=$token");
	is(status_of($r), 200, 'GET ConvertService.ashx with a query token');

	$r = http_req('GET', "/ConvertService.ashx?$q&token=$token&token=$token");
	is(status_of($r), 401, 'query token given twice: 401');
	is(header_of($r, 'X-Err'), 'malformed', 'query token twice: malformed');

	$r = http_req('GET', "/ConvertService.ashx?$q");
	is(status_of($r), 401, 'GET ConvertService.ashx without a token: 401');
}

# which token counts: the body token, and any header token besides must be good too

{
	my $claims = $CLAIMS{command};
	my $good_header = bearer(jwt($SECRET, { payload => $claims }));
	my $body = signed_body('command');

	my $r = post('/command', $body, bearer('garbage'));
	is(status_of($r), 401, 'good body token, garbage header token: 401');

	$r = post('/command', $body, bearer(jwt($OTHER, { payload => $claims })));
	is(status_of($r), 401, 'good body token, header token with another secret: 401');

	$r = post('/command', $body, bearer($editor_token));
	is(status_of($r), 403, 'good body token, editor token in the header: 403');

	$r = post('/command', $body, $good_header);
	is(status_of($r), 200, 'good body and header tokens: 200');

	# a header token does not rescue a bad body token
	$r = post('/command', signed_body('command', secret => $OTHER), $good_header);
	is(status_of($r), 401, 'bad body token, good header token: 401');

	# falsy body tokens are no token: the header token counts
	for my $falsy ('""', 'null', 'false', '0') {
		my $b = qq({"c":"info","key":"$KEY","token":$falsy});
		$r = post('/command', $b, $good_header);
		is(status_of($r), 200, "body token $falsy: header token used");
	}

	$r = post('/command', qq({"c":"info","key":"$KEY","token":""}));
	is(status_of($r), 401, 'body token "" and no header: 401');

	# truthy body tokens that are not strings are malformed
	for my $truthy ('{}', '1', 'true', '["x"]') {
		my $b = qq({"c":"info","key":"$KEY","token":$truthy});
		$r = post('/command', $b, $good_header);
		is(status_of($r), 401, "body token $truthy: 401");
	}
}

# bodies that are not JSON

{
	my $script = 'builder.CreateFile("docx");' . "\n"
		. 'Api.GetDocument().GetElement(0).AddText("x");' . "\n"
		. 'builder.SaveFile("docx", "a.docx");' . "\n" . 'builder.CloseFile();' . "\n";
	my $token = jwt($SECRET, $CLAIMS{builder});

	my $r = http_req('POST', '/docbuilder', headers => [ bearer($token) ], body => $script);
	is(status_of($r), 400, 'builder script body with a header token: 400');

	$r = http_req('POST', "/docbuilder?token=$token", body => $script);
	is(status_of($r), 400, 'builder script body with a query token: 400');

	my $cmd = jwt($SECRET, $CLAIMS{command});

	$r = http_req('POST', "/command?token=$cmd", body => 'a=b');
	is(status_of($r), 200, 'command, body a=b: query token used');

	$r = http_req('POST', '/command', headers => [ bearer($cmd) ], body => 'a=b');
	is(status_of($r), 200, 'command, body a=b: header token used');

	$r = http_req('POST', '/command', body => 'a=b');
	is(status_of($r), 401, 'command, body a=b, no token: 401');

	# a JSON body's token wins: the query is not read then
	$r = post("/command?token=$cmd", body_of_claims($CLAIMS{command}));
	is(status_of($r), 401, 'JSON body without token, query token: 401');
}

# bodies that look like JSON but are not strict JSON

{
	my $good_header = bearer(jwt($SECRET, { payload => $CLAIMS{command} }));
	my $tok = jwt($SECRET, $CLAIMS{command});

	my $r = post('/command', qq({"c":"info","key":"$KEY","token":"$tok","token":"$tok"}),
		$good_header);
	is(status_of($r), 400, 'duplicate token members: 400');

	$r = post('/command', qq({"c":"info","key":"k\xff\xfe","token":"$tok"}), $good_header);
	is(status_of($r), 400, 'invalid UTF-8 in a string: 400');

	my $deep = '[' x 200 . ']' x 200;
	$r = post('/command', qq({"c":"info","key":"$KEY","x":$deep,"token":"$tok"}),
		$good_header);
	is(status_of($r), 400, 'nesting 200 deep: 400');

	$deep = '[' x 100 . ']' x 100;
	$r = post('/command', qq({"c":"info","key":"$KEY","x":$deep,"token":"$tok"}),
		$good_header);
	is(status_of($r), 200, 'nesting 100 deep: 200');

	$r = post('/command', qq({"c":"info","key":"$KEY","token":"$tok"), $good_header);
	is(status_of($r), 400, 'unterminated JSON object: 400');
}

###############################################################################
