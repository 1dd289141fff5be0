#!/usr/bin/perl

# (C) ngx-onlyoffice-jwt tests
#
# Secrets stay secret: with every log at debug level, good and bad tokens (in the header,
# the body and the query) and refusals of every kind, then a reload with a rotated secret
# file; neither a secret nor a token (nor a token's signature segment) may appear in any
# log file of the test directory.
#
# On a --with-debug nginx (Debian's /usr/sbin/nginx is one) the debug lines are really
# written, including the module's own; on a build without it (the vendored nginx) only
# info and above are. nginx itself echoes the request at debug level (the request line,
# each header, the header block a proxy sends): those entries are nginx's, not the
# module's, and are left out of the token check (but not of the secret check). The access
# logs use a format without the request line, which carries "?token=..." query arguments.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx

###############################################################################

my $SECRET = 'Zq8sEcReT-inline-4f9a1c7e2b6d0831-Zq8';
my $FILE_A = 'Zq8sEcReT-file-a-7d2e9b4c1a6f5038-Zq8';
my $FILE_B = 'Zq8sEcReT-file-b-0c5a8e3f7b1d6924-Zq8';
my $OTHER = 'Zq8oThEr-not-configured-91e4c0b7a2-Zq8';
my @SECRETS = ($SECRET, $FILE_A, $FILE_B);

my $conf = http_conf({ main => 'error_log %%TESTDIR%%/debug.log debug;' }, <<"EOF",
    # no request line (nginx would log "?token=..." arguments in it)
    log_format noline '\$remote_addr \$status \$onlyoffice_jwt_error';
EOF
	server_conf(8080, <<"EOF"),
        access_log %%TESTDIR%%/jwt_access.log noline;
        error_log %%TESTDIR%%/server_debug.log debug;

        onlyoffice_jwt_secret $SECRET;

        location /bearer {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_algorithms HS256 HS384 HS512;
            proxy_pass http://127.0.0.1:8081;
        }

        location /require {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require \$jwt_claim_admin;
            proxy_pass http://127.0.0.1:8081;
        }

        location /file {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_secret_file %%TESTDIR%%/secrets;
            proxy_pass http://127.0.0.1:8081;
        }

        location /onlyoffice/editor-callback/ {
            onlyoffice_jwt callback;
            onlyoffice_jwt_body_limit 4k;
            proxy_pass http://127.0.0.1:8081;
        }

        location /download/ {
            onlyoffice_jwt download;
            proxy_pass http://127.0.0.1:8081;
        }

        location / {
            onlyoffice_jwt documentserver;
            proxy_pass http://127.0.0.1:8081;
        }
EOF
	server_conf(8081, <<'EOF'));
        access_log %%TESTDIR%%/jwt_access.log noline;

        location / {
            return 200 "backend";
        }
EOF

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(14)
	->write_file_expand('nginx.conf', $conf)
	->write_file('secrets', "# rotation\n$FILE_A\n");

my $debug_build = $t->has_module('debug');
note('nginx is ' . ($debug_build ? '' : 'not ') . 'built --with-debug: debug lines are '
	. ($debug_build ? '' : 'not ') . 'written');

$t->run();

###############################################################################

my $now = time();
my @tokens;

my @query_tokens;

# every token made is remembered, to be looked for in the logs
sub tok {
	my ($token) = @_;
	push @tokens, $token;
	return $token;
}

# a token sent in the query string: nginx itself logs the request target (the request
# line in every error log entry's context, "uri?args" in many debug lines), so these are
# only looked for in the module's own words
sub qtok {
	my ($token) = @_;
	push @query_tokens, $token;
	return $token;
}

sub req {
	my ($method, $uri, %opts) = @_;
	return status_of(http_req($method, $uri, %opts));
}

sub bearer_req {
	my ($uri, $token) = @_;
	return req('GET', $uri, headers => [ "Authorization: Bearer $token" ]);
}

# header tokens: accepted, and refused for every reason

my $good = tok(jwt($SECRET, { sub => 'alice' }, ttl => 300));
my $good512 = tok(jwt($SECRET, { sub => 'alice' }, ttl => 300, alg => 'HS512'));
my $foreign = tok(jwt($OTHER, { sub => 'alice' }, ttl => 300));
my $expired = tok(jwt($SECRET, { sub => 'alice', exp => $now - 3600 }));
my $future = tok(jwt($SECRET, { sub => 'alice', nbf => $now + 3600 }));
my $none = tok(b64url('{"alg":"none"}') . '.' . b64url('{"sub":"alice"}') . '.'
	. (split /\./, $good)[2]);
my $crit = tok(jwt($SECRET, { sub => 'alice' }, header => { crit => ['exp'] }));
my $padded = tok("$good=");
my $dup = tok(jwt_raw($SECRET, '{"alg":"HS256"}', '{"sub":"a","sub":"b"}'));
my $not_admin = tok(jwt($SECRET, { sub => 'bob', admin => 0 }, ttl => 300));
my $file_a = tok(jwt($FILE_A, { sub => 'carol' }, ttl => 300));
my $file_b = tok(jwt($FILE_B, { sub => 'carol' }, ttl => 300));

my @statuses = (
	bearer_req('/bearer', $good), bearer_req('/bearer', $good512),
	bearer_req('/bearer', $foreign), bearer_req('/bearer', $expired),
	bearer_req('/bearer', $future), bearer_req('/bearer', $none),
	bearer_req('/bearer', $crit), bearer_req('/bearer', $padded),
	bearer_req('/bearer', $dup), req('GET', '/bearer'),
	bearer_req('/require', $not_admin), bearer_req('/file', $file_a),
	bearer_req('/file', $file_b),
);

is("@statuses", '200 200 401 401 401 401 401 401 401 401 403 200 401',
	'header tokens: verdicts');

# body and query tokens: command, convert, builder, callback, download

my $cmd = tok(jwt($SECRET, { c => 'info', key => 'k1' }));
my $cmd_foreign = tok(jwt($OTHER, { c => 'info', key => 'k1' }));
my $q_cmd = qtok(jwt($SECRET, { c => 'info', key => 'q1' }));
my $q_foreign = qtok(jwt($OTHER, { c => 'info', key => 'q1' }));
my $editor = tok(jwt($SECRET, { document => { key => 'k1' }, editorConfig => {} }));
my $conv = tok(jwt($SECRET, { url => 'http://x/a.docx', outputtype => 'pdf' }));

my %cb = (key => 'a1b2c3d4e5f6a7b8c9d0', status => 2, url => 'https://ds.example/out.docx');
my $cb_tok = tok(jwt($SECRET, { %cb }, ttl => 300));
my $cb_hdr = tok(jwt($SECRET, { payload => { %cb } }, ttl => 300));
my $cb_body = json({ %cb, token => $cb_tok });
my $dl = tok(jwt($SECRET, { payload => { url => 'http://h/download/f.docx?x=1' } }, ttl => 300));
my $dl_bad = tok(jwt($SECRET, { payload => { url => 'http://h/download/other.docx' } },
	ttl => 300));

my $json = [ 'Content-Type: application/json' ];

@statuses = (
	req('POST', '/command', body => json({ token => $cmd }), headers => $json),
	req('POST', '/command', body => json({ token => $cmd_foreign }), headers => $json),
	req('POST', '/command', body => json({ token => $editor }), headers => $json),
	req('POST', "/command?token=$q_cmd", body => 'c=info'),
	req('POST', "/command?token=$q_foreign", body => 'c=info'),
	req('POST', '/command', body => '{"token":"' . $cmd . '","token":"x"}', headers => $json),
	req('POST', '/converter', body => json({ token => $conv }), headers => $json),
	req('POST', '/docbuilder', body => 'builder.CreateFile("docx");',
		headers => [ "Authorization: Bearer $conv" ]),
	req('POST', '/onlyoffice/editor-callback/', body => $cb_body,
		headers => [ @$json, "Authorization: Bearer $cb_hdr" ]),
	req('POST', '/onlyoffice/editor-callback/',
		body => json({ %cb, status => 6, token => $cb_tok }), headers => $json),
	req('POST', '/onlyoffice/editor-callback/',
		body => json({ %cb, pad => 'x' x 5000, token => $cb_tok }), headers => $json),
	req('POST', '/onlyoffice/editor-callback/', body => $cb_body, chunked => 1,
		headers => [ @$json, "Authorization: Bearer $cb_tok" ]),
	bearer_req('/download/f.docx?x=1', $dl),
	bearer_req('/download/f.docx?x=1', $dl_bad),
);

is("@statuses", '200 401 403 200 401 400 200 400 200 403 413 200 200 403',
	'body and query tokens: verdicts');

# rotation: the file now holds B only, reloaded

$t->write_file('secrets', "$FILE_B\n");
reload_and_wait($t);

@statuses = (bearer_req('/file', $file_a), bearer_req('/file', $file_b));
is("@statuses", '401 200', 'rotated secret file: verdicts');

$t->stop();

###############################################################################

# every log file of the test directory, whole

my $dir = $t->testdir();
opendir(my $dh, $dir) or die "can't open $dir: $!";
my @logs = sort grep { (/\.log$/ || $_ eq 'stderr') && -f "$dir/$_" } readdir($dh);
closedir($dh);

my %text = map { $_ => $t->read_file($_) } @logs;
my $all = join '', values %text;

ok(length($text{'debug.log'} // '') > 0, 'debug.log written');
like($all, qr/onlyoffice_jwt: bad signature, profile "bearer", answering 401/,
	'refusals are logged');

SKIP: {
	skip 'nginx without --with-debug writes no debug lines', 1 unless $debug_build;
	my @accepted = $text{'server_debug.log'} =~ /\[debug\].*onlyoffice_jwt: token accepted/g;
	is(scalar(@accepted), 10, 'the module\'s debug lines are written');
}

# no secret anywhere, in any form

my @found = grep { index($all, $_) >= 0 || index($all, b64url($_)) >= 0 } @SECRETS, $OTHER;
is(scalar(@found), 0, 'no secret in the logs');

# nginx's own echo of the request, at debug level: the request line, each header line,
# the values of variables, and the headers a proxy sends on (one entry spanning several
# lines)

my @entries;
for my $name (@logs) {
	for my $entry (split /^(?=\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[)/m, $text{$name}) {
		push @entries, $entry;
	}
}

my $echo = qr/\[debug\] \d+#\d+: (?:\*\d+ )?(?:http request line|http header|http proxy header|http script var):/;
my @module = grep { $_ !~ $echo } @entries;
my $module = join '', @module;

note(scalar(@entries) . ' log entries, ' . (@entries - @module) . ' of them nginx\'s echo of'
	. ' the request');

my @whole = grep { index($module, $_) >= 0 } @tokens;
is(scalar(@whole), 0, 'no full token in the logs') or diag("found: @whole");

my @sigs = grep { length($_) >= 16 && index($module, $_) >= 0 }
	map { (split /\./)[2] // () } @tokens;
is(scalar(@sigs), 0, 'no signature segment in the logs') or diag("found: @sigs");

my @claims = grep { length($_) >= 16 && index($module, $_) >= 0 }
	map { (split /\./)[1] // () } @tokens;
is(scalar(@claims), 0, 'no claims segment in the logs');

# the module's own words: its entries without nginx's context (", client: ..., request:
# "...", host: ..."), where query tokens are looked for too

my @jwt_lines = map { s/, client: .*//sr } grep { /\] \d+#\d+: \*\d+ onlyoffice_jwt: / } @entries;
is(scalar(grep { /\[info\].* answering \d{3}$/ } @jwt_lines), 19, 'each refusal logged once');
my @leaks = grep { my $l = $_; grep { index($l, $_) >= 0 }
	@tokens, @query_tokens, map { (split /\./)[2] } @tokens, @query_tokens } @jwt_lines;
is(join('', @leaks), '', 'the module\'s own entries carry no token and no signature');

# the access log has no request line, so no query token
unlike($text{'jwt_access.log'} // '', qr/token=/, 'access log without query tokens');

# sanity: the inline secret was really configured (nginx.conf is not a log)
ok(index($t->read_file('nginx.conf'), $SECRET) >= 0, 'the inline secret is in nginx.conf');

###############################################################################
