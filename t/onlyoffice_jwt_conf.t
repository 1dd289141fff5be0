#!/usr/bin/perl

# (C) ngx-onlyoffice-jwt tests
#
# Configuration of the onlyoffice_jwt module: every directive error is an
# [emerg] naming nginx.conf and the line, warnings for short secrets,
# several secrets and secret files, and reloads (a failed reload keeps the
# old configuration serving; a successful one switches the secret).

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx

###############################################################################

my $S = 'conf-test-secret-0123456789abcdefghij';        # 37 bytes
my $S_NEW = 'conf-test-new-secret-0123456789abcdefgh';  # 39 bytes

# Each case: a name, what to put in http{}, server{} and location / {},
# and the text the [emerg] line must contain. The line that the message
# must name carries the comment "# HERE".

my @bad = (
	['unknown profile',
		loc => 'onlyoffice_jwt foo; # HERE',
		re => qr/invalid profile "foo"/],
	['profile without argument',
		loc => 'onlyoffice_jwt; # HERE',
		re => qr/invalid number of arguments in "onlyoffice_jwt" directive/],
	['algorithm none',
		loc => 'onlyoffice_jwt_algorithms HS256 none; # HERE',
		re => qr/algorithm "none" is not allowed/],
	['algorithm NONE',
		loc => 'onlyoffice_jwt_algorithms NONE; # HERE',
		re => qr/algorithm "none" is not allowed/i],
	['unknown algorithm',
		loc => 'onlyoffice_jwt_algorithms HS256 ES521; # HERE',
		re => qr/unknown algorithm "ES521"/],
	['algorithm case-sensitive',
		loc => 'onlyoffice_jwt_algorithms hs256; # HERE',
		re => qr/unknown algorithm "hs256"/],
	['algorithms without argument',
		loc => 'onlyoffice_jwt_algorithms; # HERE',
		re => qr/invalid number of arguments in "onlyoffice_jwt_algorithms"/],
	['no secret, location',
		loc => "onlyoffice_jwt bearer; # HERE",
		re => qr/no secret for "onlyoffice_jwt bearer"/, where => 'in'],
	['no secret, server',
		server => "onlyoffice_jwt callback; # HERE",
		re => qr/no secret for "onlyoffice_jwt callback"/, where => 'in'],
	['no secret, http',
		http => "onlyoffice_jwt documentserver; # HERE",
		re => qr/no secret for "onlyoffice_jwt documentserver"/,
		where => 'in'],
	['no secret, secret only in another location',
		loc => "onlyoffice_jwt bearer; # HERE",
		server => "location /other/ { onlyoffice_jwt_secret $S; }",
		re => qr/no secret for "onlyoffice_jwt bearer"/, where => 'in'],
	['empty secret file',
		loc => 'onlyoffice_jwt bearer; '
			. 'onlyoffice_jwt_secret_file %%TESTDIR%%/empty.secret; # HERE',
		re => qr/no secret in "[^"]*empty\.secret"/],
	['secret file of comments and blank lines',
		loc => 'onlyoffice_jwt bearer; '
			. 'onlyoffice_jwt_secret_file %%TESTDIR%%/comments.secret; # HERE',
		re => qr/no secret in "[^"]*comments\.secret"/],
	['missing secret file',
		loc => 'onlyoffice_jwt bearer; '
			. 'onlyoffice_jwt_secret_file %%TESTDIR%%/missing.secret; # HERE',
		re => qr/cannot read secret file "[^"]*missing\.secret"/],
	['secret file is a directory',
		loc => 'onlyoffice_jwt bearer; '
			. 'onlyoffice_jwt_secret_file %%TESTDIR%%/; # HERE',
		re => qr/cannot read secret file/],
	['empty secret',
		loc => 'onlyoffice_jwt bearer; onlyoffice_jwt_secret ""; # HERE',
		re => qr/empty secret in "onlyoffice_jwt_secret"/],

	(map {
		my ($d, $v) = @$_;
		["duplicate $d",
			loc => "$d $v;\n$d $v; # HERE",
			re => qr/"$d" directive is duplicate/]
	} (
		['onlyoffice_jwt', 'bearer'],
		['onlyoffice_jwt_algorithms', 'HS256'],
		['onlyoffice_jwt_header', 'AuthorizationJwt'],
		['onlyoffice_jwt_token', '$cookie_jwt'],
		['onlyoffice_jwt_leeway', '10s'],
		['onlyoffice_jwt_require_exp', 'on'],
		['onlyoffice_jwt_body_limit', '1k'],
		['onlyoffice_jwt_realm', 'x'],
		['onlyoffice_jwt_dry_run', 'on'],
		['onlyoffice_jwt_log_level', 'warn'],
	)),
	['duplicate onlyoffice_jwt, off then on',
		loc => "onlyoffice_jwt off;\nonlyoffice_jwt bearer; # HERE",
		re => qr/"onlyoffice_jwt" directive is duplicate/],

	['invalid leeway',
		loc => 'onlyoffice_jwt_leeway abc; # HERE',
		re => qr/"onlyoffice_jwt_leeway" directive invalid value/],
	['invalid leeway, negative',
		loc => 'onlyoffice_jwt_leeway -5s; # HERE',
		re => qr/"onlyoffice_jwt_leeway" directive invalid value/],
	['invalid size',
		loc => 'onlyoffice_jwt_body_limit 1x; # HERE',
		re => qr/"onlyoffice_jwt_body_limit" directive invalid value/],
	['invalid require_exp',
		loc => 'onlyoffice_jwt_require_exp yes; # HERE',
		re => qr/invalid value "yes".* in "onlyoffice_jwt_require_exp"/],
	['invalid dry_run',
		loc => 'onlyoffice_jwt_dry_run yes; # HERE',
		re => qr/invalid value "yes".* in "onlyoffice_jwt_dry_run"/],
	['invalid log_level',
		loc => 'onlyoffice_jwt_log_level debug; # HERE',
		re => qr/invalid value "debug", it must be "info", "notice", "warn" or "error" in "onlyoffice_jwt_log_level"/],
	['require error=500',
		loc => 'onlyoffice_jwt_require $jwt_claim_x error=500; # HERE',
		re => qr/invalid value "error=500".* in "onlyoffice_jwt_require"/],
	['require without value',
		loc => 'onlyoffice_jwt_require error=403; # HERE',
		re => qr/ in "onlyoffice_jwt_require" directive/],
	['token without variable',
		loc => 'onlyoffice_jwt_token abc; # HERE',
		re => qr/must contain a variable in "onlyoffice_jwt_token"/],
	['invalid header name',
		loc => 'onlyoffice_jwt_header "X Token"; # HERE',
		re => qr/invalid header name "X Token" in "onlyoffice_jwt_header"/],
	['invalid header name, colon',
		loc => 'onlyoffice_jwt_header "X-Token:"; # HERE',
		re => qr/invalid header name "X-Token:"/],
	['empty header name',
		loc => 'onlyoffice_jwt_header ""; # HERE',
		re => qr/invalid header name ""/],
	['directive in if',
		server => 'if ($arg_x) { onlyoffice_jwt bearer; } # HERE',
		re => qr/"onlyoffice_jwt" directive is not allowed here/],
);

my $t = Test::Nginx->new()->has(qw/http proxy rewrite/)
	->plan(2 * @bad + 43);

$t->write_file('empty.secret', '');
$t->write_file('comments.secret', "# a comment\n\n   \n\t\n#$S\n  # indented\n");

my $d = $t->testdir();

###############################################################################

for my $case (@bad) {
	my ($name, %c) = @$case;

	$t->write_file_expand('nginx.conf', conf(%c));
	my $line = line_of($t, '# HERE');
	my $off = log_size();

	my $died = !eval { $t->run(); 1 };
	ok($died, "$name: nginx does not start");
	$t->stop() unless $died;

	my $log = log_from($t, $off);
	my $where = $c{where} // 'suffix';

	if ($where eq 'none') {
		# nginx's own message, with nginx's own suffix
		like($log, qr/\[emerg\] [^\n]*(?:$c{re})[^\n]* in \Q$d\E\/+nginx\.conf:$line\n/m,
			"$name: [emerg] names nginx.conf:$line");

	} elsif ($where eq 'in') {
		# 'no secret for "onlyoffice_jwt P" in FILE:LINE' (or the same
		# facts worded '"onlyoffice_jwt P" at FILE:LINE has no secret')
		my ($p) = "$c{re}" =~ /"(onlyoffice_jwt \w+)"/;
		like($log, qr/\[emerg\] [^\n]*(?:(?:$c{re}) in \Q$d\E\/+nginx\.conf:$line\b|"$p" at \Q$d\E\/+nginx\.conf:$line has no secret)/m,
			"$name: [emerg] names nginx.conf:$line");

	} else {
		like($log, qr/\[emerg\] [^\n]*(?:$c{re})[^\n]* in \Q$d\E\/+nginx\.conf:$line\n/m,
			"$name: [emerg] names nginx.conf:$line");
	}
}

###############################################################################

# a short secret: [warn], and nginx starts and uses it

$t->write_file('short.secret', "# short\nshort-file-secret\n");
$t->write_file_expand('nginx.conf', conf(loc => <<'EOF'));
onlyoffice_jwt bearer;
onlyoffice_jwt_secret short-secret; # HERE
onlyoffice_jwt_secret_file %%TESTDIR%%/short.secret; # FILE
EOF

{
	my $line = line_of($t, '# HERE');
	my $fline = line_of($t, '# FILE');
	my $off = log_size();

	ok(eval { $t->run(); 1 }, 'short secret: nginx starts') or diag($@);

	my $log = log_from($t, $off);
	like($log, qr/\[warn\] [^\n]*"onlyoffice_jwt_secret" is shorter than 32 bytes[^\n]* in \Q$d\E\/+nginx\.conf:$line\n/m,
		'short secret: [warn] names nginx.conf:line');
	like($log, qr/\[warn\] [^\n]*short\.secret" is shorter than 32 bytes[^\n]* in \Q$d\E\/+nginx\.conf:$fline\n/m,
		'short secret in a file: [warn] names nginx.conf:line');
	unlike($log, qr/\[emerg\]/, 'short secret: no [emerg]');
	unlike($log, qr/short-secret|short-file-secret/,
		'short secret: the secret is not logged');

	is(status_of(get('/', jwt('short-secret', { sub => 'a' }))), 200,
		'short secret: token accepted');
	is(status_of(get('/', jwt('short-file-secret', { sub => 'a' }))), 200,
		'short secret from a file: token accepted');
	is(status_of(get('/', jwt($S, { sub => 'a' }))), 401,
		'short secret: other secret refused');

	$t->stop();
}

###############################################################################

# several onlyoffice_jwt_secret and onlyoffice_jwt_secret_file: any verifies

my @sec = map { "several-secrets-number-$_-0123456789abcdef" } 1 .. 6;

$t->write_file('one.secret', "# first file\n\n$sec[2]\n  $sec[3]  \n");
$t->write_file('two.secret', "$sec[4]\r\n# the end\n");

$t->write_file_expand('nginx.conf', conf(loc => <<"EOF"));
onlyoffice_jwt bearer;
onlyoffice_jwt_secret $sec[0];
onlyoffice_jwt_secret_file %%TESTDIR%%/one.secret;
onlyoffice_jwt_secret $sec[1];
onlyoffice_jwt_secret_file two.secret;
EOF

{
	my $off = log_size();
	ok(eval { $t->run(); 1 }, 'several secrets: nginx starts') or diag($@);
	unlike(log_from($t, $off), qr/\[(?:warn|emerg)\]/, 'several secrets: no warning');

	for my $i (0 .. 4) {
		is(status_of(get('/', jwt($sec[$i], { sub => "s$i" }))), 200,
			"several secrets: secret " . ($i + 1) . " accepted");
	}

	my $r = get('/', jwt($sec[5], { sub => 'x' }));
	is(status_of($r), 401, 'several secrets: another secret refused');
	is(header_of($r, 'WWW-Authenticate'),
		'Bearer realm="onlyoffice", error="invalid_token"',
		'several secrets: another secret challenge');

	$t->stop();
}

###############################################################################

# reload: a missing or empty secret file fails the reload and the old
# configuration keeps serving; a good one switches the secret

$t->write_file('reload.secret', "$S\n");
$t->write_file_expand('nginx.conf', conf(loc => <<'EOF'));
onlyoffice_jwt bearer;
onlyoffice_jwt_secret_file %%TESTDIR%%/reload.secret; # HERE
EOF

{
	my $line = line_of($t, '# HERE');
	my $old = jwt($S, { sub => 'old' });
	my $new = jwt($S_NEW, { sub => 'new' });

	ok(eval { $t->run(); 1 }, 'reload: nginx starts') or diag($@);
	is(status_of(get('/', $old)), 200, 'reload: token before');
	is(status_of(get('/', $new)), 401, 'reload: new token before');

	my $master = pid($t);

	unlink("$d/reload.secret");
	my $off = log_size();
	reload_and_wait($t);
	my $log = log_from($t, $off);

	like($log, qr/\[emerg\] [^\n]*cannot read secret file "[^"]*reload\.secret"[^\n]* in \Q$d\E\/+nginx\.conf:$line\n/m,
		'reload with missing secret file: [emerg]');
	is(status_of(get('/', $old)), 200,
		'reload with missing secret file: old configuration serves');
	is(status_of(get('/', undef)), 401,
		'reload with missing secret file: still checks');
	is(status_of(get('/', $new)), 401,
		'reload with missing secret file: new token still refused');

	$t->write_file('reload.secret', "# nothing here yet\n\n");
	$off = log_size();
	reload_and_wait($t);
	$log = log_from($t, $off);

	like($log, qr/\[emerg\] [^\n]*no secret in "[^"]*reload\.secret"[^\n]* in \Q$d\E\/+nginx\.conf:$line\n/m,
		'reload with empty secret file: [emerg]');
	is(status_of(get('/', $old)), 200,
		'reload with empty secret file: old configuration serves');

	$t->write_file('reload.secret', "# rotated\n$S_NEW\n");
	$off = log_size();
	reload_and_wait($t);
	$log = log_from($t, $off);

	unlike($log, qr/\[emerg\]/, 'reload with new secret: no [emerg]');
	is(status_of(get('/', $old)), 401, 'reload with new secret: old token refused');
	is(status_of(get('/', $new)), 200, 'reload with new secret: new token accepted');
	is(pid($t), $master, 'reload: same master');

	$t->stop();
}

###############################################################################

# inheritance from the http level: secrets, secret files and requirements
# given in http{} apply to every server and location below (SPEC: "inherit
# down the usual way")

$t->write_file_expand('nginx.conf', conf(
	http => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S;",
	backend => "onlyoffice_jwt off;",
	server => "location /off/ { onlyoffice_jwt off; "
		. "proxy_pass http://127.0.0.1:8081; }"));

{
	ok(eval { $t->run(); 1 }, 'profile and secret at http level: nginx starts')
		or diag($@);
	is(status_of(get('/', undef)), 401,
		'profile and secret at http level: checks');
	is(status_of(get('/', jwt($S, {}))), 200,
		'profile and secret at http level: token accepted');
	is(status_of(get('/off/', undef)), 200,
		'profile and secret at http level: off in location');
	$t->stop();
}

$t->write_file('http.secret', "# http level\n$S\n");
$t->write_file_expand('nginx.conf', conf(
	http => "onlyoffice_jwt_secret_file %%TESTDIR%%/http.secret;",
	loc => "onlyoffice_jwt bearer;"));

{
	ok(eval { $t->run(); 1 }, 'secret file at http level: nginx starts')
		or diag($@);
	is(status_of(get('/', undef)), 401, 'secret file at http level: checks');
	is(status_of(get('/', jwt($S, {}))), 200,
		'secret file at http level: token accepted');
	$t->stop();
}

$t->write_file_expand('nginx.conf', conf(
	http => 'onlyoffice_jwt_require $jwt_claim_admin;',
	loc => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S;"));

{
	ok(eval { $t->run(); 1 }, 'require at http level: nginx starts')
		or diag($@);
	is(status_of(get('/', jwt($S, { sub => 'a' }))), 403,
		'require at http level: claim missing refused');
	is(status_of(get('/', jwt($S, { sub => 'a', admin => 1 }))), 200,
		'require at http level: claim present accepted');
	$t->stop();
}

# "off" needs no secret

$t->write_file_expand('nginx.conf', conf(
	loc => "onlyoffice_jwt off;",
	server => "location /x/ { onlyoffice_jwt off; onlyoffice_jwt_leeway 5s; "
		. "proxy_pass http://127.0.0.1:8081; }"));

{
	my $off = log_size();
	ok(eval { $t->run(); 1 }, 'off without secret: nginx starts')
		or diag($@);
	unlike(log_from($t, $off), qr/\[(?:warn|emerg)\]/, 'off without secret: no warning');
	is(status_of(get('/', undef)), 200, 'off without secret: passes');
	$t->stop();
}

###############################################################################

sub conf {
	my (%c) = @_;

	my $http = $c{http} // '';
	my $server = $c{server} // '';
	my $loc = $c{loc} // '';
	my $backend = $c{backend} // '';

	return http_conf("$http\n", server_conf(8080, <<"EOF"), server_conf(8081, <<"EOF"));
$server

        location / {
$loc
            proxy_pass http://127.0.0.1:8081;
        }
EOF
$backend

        location / {
            return 200 "backend\\n";
        }
EOF
}

# The helpers take $t: a named sub that used the file's $t would keep it alive until global
# destruction, and nginx-tests' Test::Nginx runs its final tests ("no alerts") only when
# $t is destroyed, which must be before the test's end.

# the line number of the first line of nginx.conf containing $mark
sub line_of {
	my ($t, $mark) = @_;
	my $n = 0;
	for my $l (split /\n/, $t->read_file('nginx.conf'), -1) {
		$n++;
		return $n if index($l, $mark) >= 0;
	}
	die "no $mark in nginx.conf\n";
}

sub log_size {
	return -s "$d/error.log" // 0;
}

sub log_from {
	my ($t, $off) = @_;
	my $log = eval { $t->read_file('error.log') } // '';
	return substr($log, $off);
}

sub pid {
	my ($t) = @_;
	return eval { $t->read_file('nginx.pid') } =~ s/\s+//gr;
}

sub get {
	my ($uri, $token) = @_;
	return http_req('GET', $uri,
		headers => [ defined $token ? ("Authorization: Bearer $token") : () ]);
}

###############################################################################
