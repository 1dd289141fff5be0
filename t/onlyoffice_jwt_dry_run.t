#!/usr/bin/perl

# ngx-onlyoffice-jwt: onlyoffice_jwt_dry_run, $onlyoffice_jwt_status and
# onlyoffice_jwt_log_level. In a dry run a request the module would refuse goes on to the
# upstream as if the module were off (its body unchanged), the status is REJECTED_DRY_RUN,
# the reason is in $onlyoffice_jwt_error and the refusal is logged with "dry run"; claims
# are shown only for accepted tokens. On every profile, at the http, server and location
# levels, with the status and reason in an access log written with log_format.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

###############################################################################

my $SECRET = 'dry-run-0123456789abcdef0123456789abcdef';
my $OTHER = 'forged-0123456789abcdef0123456789abcdef0';

my $proxy = "proxy_pass http://127.0.0.1:%%PORT_8081%%;";

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(80)
	->write_file_expand('nginx.conf', http_conf(<<"EOF",
    log_format jwt '\$request_method \$uri status=\$onlyoffice_jwt_status error=\$onlyoffice_jwt_error sub=\$jwt_claim_sub';
    onlyoffice_jwt_secret $SECRET;
    onlyoffice_jwt_dry_run on;
EOF
	server_conf(8080, <<"EOF"),
        access_log %%TESTDIR%%/dry.log jwt;
        add_header X-Status \$onlyoffice_jwt_status always;
        add_header X-Err \$onlyoffice_jwt_error always;
        add_header X-Sub \$jwt_claim_sub always;

        location /bearer { onlyoffice_jwt bearer; $proxy }
        location /download { onlyoffice_jwt download; $proxy }
        location /callback { onlyoffice_jwt callback; $proxy }
        location /command { onlyoffice_jwt command; $proxy }
        location /convert { onlyoffice_jwt convert; $proxy }
        location /builder { onlyoffice_jwt builder; $proxy }
        location /ds/ { onlyoffice_jwt documentserver; $proxy }
        location /small { onlyoffice_jwt callback; onlyoffice_jwt_body_limit 64; $proxy }
        location /off { $proxy }
        location /enforce { onlyoffice_jwt bearer; onlyoffice_jwt_dry_run off; $proxy }
        location /warn { onlyoffice_jwt bearer; onlyoffice_jwt_log_level warn; $proxy }
EOF
	server_conf(8082, <<"EOF")));
        access_log %%TESTDIR%%/enforce.log jwt;
        add_header X-Status \$onlyoffice_jwt_status always;
        add_header X-Err \$onlyoffice_jwt_error always;
        onlyoffice_jwt_dry_run off;
        onlyoffice_jwt_log_level error;

        location /bearer { onlyoffice_jwt bearer; $proxy }
        location /callback { onlyoffice_jwt callback; $proxy }
        location /dry { onlyoffice_jwt bearer; onlyoffice_jwt_dry_run on; $proxy }
        location /notice { onlyoffice_jwt bearer; onlyoffice_jwt_log_level notice; $proxy }
EOF

run_with_echo_backend($t);

###############################################################################

my $good = jwt($SECRET, { sub => 'alice' }, ttl => 300);
my $forged = jwt($OTHER, { sub => 'mallory' }, ttl => 300);

my $CMD = '{"c":"info","key":"Khirz6zTPdfd7"}';
my $CMD_FORGED_TOKEN = jwt($OTHER, { payload => { c => 'info', key => 'Khirz6zTPdfd7' } }, ttl => 300);

sub get {
	my ($uri, @headers) = @_;
	return http_req('GET', $uri, headers => [ @headers ], PeerAddr => '127.0.0.1:' . port(8080));
}

sub req {
	my ($port, $method, $uri, %opts) = @_;
	return http_req($method, $uri, %opts, PeerAddr => '127.0.0.1:' . port($port));
}

# a forged request of each profile goes on to the upstream, body and all
for my $case (
	[ GET => '/bearer', undef, "Authorization: Bearer $forged", 'signature' ],
	[ GET => '/bearer', undef, undef, 'missing' ],
	[ GET => '/download?f=1', undef, "Authorization: Bearer $forged", 'signature' ],
	[ POST => '/callback', '{"key":"k","status":2,"url":"https://ds/x"}',
		"Authorization: Bearer $forged", 'signature' ],
	[ POST => '/callback', '{"key":"k","status":2}', undef, 'missing' ],
	[ POST => '/command', $CMD, "Authorization: Bearer $CMD_FORGED_TOKEN", 'signature' ],
	[ POST => '/convert', '{"url":"https://x/a.docx","outputtype":"pdf"}',
		"Authorization: Bearer $forged", 'signature' ],
	[ POST => '/builder', '{"async":false,"url":"https://x/s.docbuilder"}',
		"Authorization: Bearer $forged", 'signature' ],
	[ POST => '/ds/coauthoring/CommandService.ashx', $CMD,
		"Authorization: Bearer $CMD_FORGED_TOKEN", 'signature' ],
	[ POST => '/ds/converter', '{"url":"https://x/a.docx"}', undef, 'missing' ],
) {
	my ($method, $uri, $body, $auth, $why) = @$case;
	my $r = req(8080, $method, $uri, defined $body ? (body => $body) : (),
		headers => [ defined $auth ? $auth : () ]);
	is(status_of($r), 200, "dry run: $method $uri ($why) reaches the upstream");
	like($r, echo_of($body // ''), "dry run: $method $uri: the upstream got the body") if defined $body;
	is(header_of($r, 'X-Status'), 'REJECTED_DRY_RUN', "dry run: $method $uri: status");
	is(header_of($r, 'X-Err'), $why, "dry run: $method $uri: reason $why");
}

# an accepted token: PASSED, its claims shown; a refused one's claims are not
my $r = get('/bearer', "Authorization: Bearer $good");
is(status_of($r), 200, 'dry run: a good token');
is(header_of($r, 'X-Status'), 'PASSED', 'dry run: a good token PASSED');
is(header_of($r, 'X-Sub'), 'alice', 'dry run: the claims of an accepted token');
is(header_of($r, 'X-Err'), undef, 'dry run: no reason for an accepted token');
$r = get('/bearer', "Authorization: Bearer $forged");
is(header_of($r, 'X-Sub'), undef, 'dry run: no claims of a refused token');

# a genuine save callback, shaped as the Document Server posts it
my $cb = ds_callback($SECRET, ds_obj(key => 'Khirz6zTPdfd7', status => 2,
	url => 'https://ds.example.com/cache/files/data/Khirz6zTPdfd7/output.docx/output.docx',
	changesurl => 'https://ds.example.com/cache/files/data/Khirz6zTPdfd7/changes.zip/changes.zip',
	users => ['u1'], actions => [ ds_obj(type => 0, userid => 'u1') ]));
$r = req(8080, POST => '/callback', body => $cb->{body}, headers => [ $cb->{auth} ]);
is(header_of($r, 'X-Status'), 'PASSED', 'dry run: a genuine callback PASSED');
like($r, echo_of($cb->{body}), 'dry run: a genuine callback reaches seahub');

# a body past the limit: refused in the dry run, and all of it reaches the upstream
my $big = '{"key":"k","status":2,"url":"' . ('x' x 200) . '"}';
$r = req(8080, POST => '/small', body => $big, headers => [ $cb->{auth} ]);
is(status_of($r), 200, 'dry run: a body past the limit (Content-Length) goes on');
like($r, echo_of($big), 'dry run: the upstream got the whole body');
is(header_of($r, 'X-Err'), 'body_too_large', 'dry run: body_too_large');
$r = req(8080, POST => '/small', body => $big, chunked => 1,
	pieces => [ substr($big, 0, 40), substr($big, 40, 40), substr($big, 80) ],
	headers => [ $cb->{auth} ]);
is(status_of($r), 200, 'dry run: a chunked body past the limit goes on');
like($r, echo_of($big), 'dry run: the upstream got the whole chunked body');
is(header_of($r, 'X-Err'), 'body_too_large', 'dry run: chunked body_too_large');
is(header_of($r, 'X-Status'), 'REJECTED_DRY_RUN', 'dry run: chunked body status');

# an encoded body
$r = req(8080, POST => '/callback', body => $cb->{body},
	headers => [ $cb->{auth}, 'Content-Encoding: gzip' ]);
is(status_of($r), 200, 'dry run: an encoded body goes on');
is(header_of($r, 'X-Err'), 'encoding', 'dry run: encoding');

# where the module does not run: no status
$r = get('/off');
is(status_of($r), 200, 'off: 200');
is(header_of($r, 'X-Status'), undef, 'off: no status');

# the log level in a location
$r = get('/warn', "Authorization: Bearer $forged");
is(status_of($r), 200, 'log level warn, dry run: 200');

# a location that turns the dry run off below the http level's on
$r = get('/enforce', "Authorization: Bearer $forged");
is(status_of($r), 401, 'dry run off in a location: 401');
is(header_of($r, 'X-Status'), 'REJECTED', 'dry run off in a location: REJECTED');
unlike($r, qr/^echo /m, 'dry run off in a location: the upstream is not asked');
$r = get('/enforce', "Authorization: Bearer $good");
is(header_of($r, 'X-Status'), 'PASSED', 'dry run off in a location: PASSED');

# a server that turns it off, a location in it that turns it on again
$r = req(8082, GET => '/bearer', headers => [ "Authorization: Bearer $forged" ]);
is(status_of($r), 401, 'dry run off in a server: 401');
is(header_of($r, 'X-Status'), 'REJECTED', 'dry run off in a server: REJECTED');
is(header_of($r, 'WWW-Authenticate'), 'Bearer realm="onlyoffice", error="invalid_token"',
	'dry run off in a server: the challenge');
$r = req(8082, POST => '/callback', body => '{"key":"k","status":2}');
is(status_of($r), 401, 'dry run off in a server: callback 401');
$r = req(8082, GET => '/dry', headers => [ "Authorization: Bearer $forged" ]);
is(status_of($r), 200, 'dry run on again in a location: 200');
is(header_of($r, 'X-Status'), 'REJECTED_DRY_RUN', 'dry run on again: REJECTED_DRY_RUN');
is(header_of($r, 'WWW-Authenticate'), undef, 'dry run: no challenge');
$r = req(8082, GET => '/notice', headers => [ "Authorization: Bearer $forged" ]);
is(status_of($r), 401, 'log level notice: 401');

###############################################################################

# the log lines: their level and "dry run"
$t->stop();

my $log = $t->read_file('error.log');

sub log_line {
	my ($uri) = @_;
	my @lines = grep { /onlyoffice_jwt: / && /request: "\w+ \Q$uri\E / } split /\n/, $log;
	return $lines[0] // '';
}

like(log_line('/bearer'), qr/\[info\] .*onlyoffice_jwt: .*would answer 401, dry run/,
	'dry run: logged at info with "dry run"');
like(log_line('/small'), qr/\[info\] .*body too large.*would answer 413, dry run/,
	'dry run: body past the limit logged');
like(log_line('/warn'), qr/\[warn\] .*onlyoffice_jwt: .*dry run/,
	'log level warn: a dry run line at warn');
like(log_line('/enforce'), qr/\[info\] .*onlyoffice_jwt: bad signature.*answering 401,/,
	'enforced: logged at info without "dry run"');
unlike(log_line('/enforce'), qr/dry run/, 'enforced: no "dry run"');
like(log_line('/notice'), qr/\[notice\] .*onlyoffice_jwt: bad signature.*answering 401/,
	'log level notice');
like(log_line('/dry'), qr/\[error\] .*onlyoffice_jwt: bad signature.*dry run/,
	'log level error from the server, dry run from the location');

# the access logs: status and reason for each request
my $dry = $t->read_file('dry.log');
like($dry, qr{^POST /callback status=REJECTED_DRY_RUN error=signature sub=-?$}m,
	'access log: a forged callback in the dry run');
like($dry, qr{^GET /bearer status=PASSED error= sub=alice$}m,
	'access log: an accepted token');
like($dry, qr{^GET /off status=- error=- sub=-$}m, 'access log: the module off');
like($dry, qr{^GET /enforce status=REJECTED error=signature sub=-?$}m,
	'access log: enforced');
my $enforce = $t->read_file('enforce.log');
like($enforce, qr{^GET /dry status=REJECTED_DRY_RUN error=signature}m,
	'access log of the second server: dry run');

###############################################################################
