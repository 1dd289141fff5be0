#!/usr/bin/perl

# (C) ngx-onlyoffice-jwt tests
#
# Inheritance of every directive of README's directive table: set at the http level,
# and (separately) at the server level, it takes effect in a location below that does
# not set it; a location that sets it itself replaces what it inherited, and (at the http
# level) so does a server that sets it, for the locations below that server.
# onlyoffice_jwt_require_exp is checked in a "command" location too, the bug report
# having found bearer and body-token locations both ignoring an inherited value.
#
# One http{} per nginx.conf: each case is a configuration of its own, started and
# stopped in turn, once with the directive at the http level and once at the server
# level. A configuration has
#
#     server 8080:  (the directive, at the server level)
#                   location /inh-K/  the profile only: inherits the directive
#                   location /own-K/  the profile and its own value of the directive
#     server 8082:  (http level only) its own value at the server level
#                   location /inh-K/  the profile only: inherits the server's value
#     server 8081:  onlyoffice_jwt off; the backend, returning 200 "backend ok"
#
# for each kind K of location of the case (b: bearer, c: command).

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx

###############################################################################

my $S1 = 'inherit-secret-one-0123456789abcdefghijk';
my $S2 = 'inherit-secret-two-0123456789abcdefghijk';

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(174);
my $d = $t->testdir();

$t->write_file('s1.secret', "# the level's secret\n$S1\n");
$t->write_file('s2.secret', "# the location's secret\n$S2\n");

openssl_keypair($d, 'rsa1', qw/-algorithm RSA -pkeyopt rsa_keygen_bits:2048/);
openssl_keypair($d, 'rsa2', qw/-algorithm RSA -pkeyopt rsa_keygen_bits:2048/);
$t->write_file('rsa2.jwks', key_tool('jwks', "k2=$d/rsa2.pub"));

# PyJWT's tokens (no exp: the key's directive is what these cases look at)
my $R1 = key_tool('sign', 'RS256', "$d/rsa1.key", json({ sub => 'rsa1' }));
my $R2 = key_tool('sign', 'RS256', "$d/rsa2.key", json({ sub => 'rsa2' }));

###############################################################################

# The requests. Each returns [ method, what follows the location's prefix, options of
# http_req() ]. Tokens with times are made when the request is sent, not here.

sub bearer {
	my ($token) = @_;
	return [ 'GET', 'x',
		headers => [ defined $token ? ("Authorization: Bearer $token") : () ] ];
}

sub in_header {
	my ($name, $token) = @_;
	return [ 'GET', 'x', headers => [ "$name: Bearer $token" ] ];
}

# a command as the Document Server's command service is sent one: the token in a JSON
# body, padded to $size bytes when asked
sub command {
	my ($token, $size) = @_;
	my $body = qq({"token":"$token"});
	if ($size) {
		my $pad = $size - length($body) - length(',"pad":""');
		$body = qq({"token":"$token","pad":") . ('p' x $pad) . '"}';
	}
	return [ 'POST', 'x', body => $body,
		headers => [ 'Content-Type: application/json' ] ];
}

# claims of a command the "command" profile accepts
my %CMD = (c => 'info', key => 'k1');

###############################################################################

# The cases: the directive (d), its value at the level (level), a value of its own for
# the level below (own), the kinds of location with what each has whatever the level
# (kinds), and the checks. A check is [ kind, inh or own, what, request (a sub returning
# one of the requests above), the result wanted, and optionally a response header to
# compare instead ]: "inh" checks run in /inh-K/ of server 8080, "own" checks in /own-K/
# and (at the http level) in /inh-K/ of server 8082. A result is the status and
# $onlyoffice_jwt_error ("401 signature"), or the status alone when that is empty.

my @cases = (
	{
		d => 'onlyoffice_jwt',
		# the profile needs a key at its level or above
		level => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;",
		own => 'onlyoffice_jwt off;',
		kinds => { b => '' },
		checks => [
			[b => inh => 'no token', sub { bearer(undef) }, '401 missing'],
			[b => inh => 'token', sub { bearer(jwt($S1, { sub => 'a' })) }, '200'],
			[b => own => 'off: no token', sub { bearer(undef) }, '200'],
			[b => own => 'off: bad token', sub { bearer('garbage') }, '200'],
		],
	},
	{
		d => 'onlyoffice_jwt_secret',
		level => "onlyoffice_jwt_secret $S1;",
		own => "onlyoffice_jwt_secret $S2;",
		kinds => { b => 'onlyoffice_jwt bearer;' },
		checks => [
			[b => inh => 'S1 token', sub { bearer(jwt($S1, { sub => 'a' })) }, '200'],
			[b => inh => 'S2 token', sub { bearer(jwt($S2, { sub => 'a' })) },
				'401 signature'],
			[b => own => 'S2 token', sub { bearer(jwt($S2, { sub => 'a' })) }, '200'],
			[b => own => 'S1 token', sub { bearer(jwt($S1, { sub => 'a' })) },
				'401 signature'],
		],
	},
	{
		d => 'onlyoffice_jwt_secret_file',
		level => 'onlyoffice_jwt_secret_file %%TESTDIR%%/s1.secret;',
		own => 'onlyoffice_jwt_secret_file %%TESTDIR%%/s2.secret;',
		kinds => { b => 'onlyoffice_jwt bearer;' },
		checks => [
			[b => inh => 'S1 token', sub { bearer(jwt($S1, { sub => 'a' })) }, '200'],
			[b => inh => 'S2 token', sub { bearer(jwt($S2, { sub => 'a' })) },
				'401 signature'],
			[b => own => 'S2 token', sub { bearer(jwt($S2, { sub => 'a' })) }, '200'],
			[b => own => 'S1 token', sub { bearer(jwt($S1, { sub => 'a' })) },
				'401 signature'],
		],
	},
	{
		d => 'onlyoffice_jwt_key_file',
		# a PEM key at the level, a JWK Set of another key below
		level => 'onlyoffice_jwt_key_file %%TESTDIR%%/rsa1.pub;',
		own => 'onlyoffice_jwt_key_file %%TESTDIR%%/rsa2.jwks;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_algorithms RS256;" },
		checks => [
			[b => inh => 'RS256 token of key 1', sub { bearer($R1) }, '200'],
			[b => inh => 'RS256 token of key 2', sub { bearer($R2) }, '401 signature'],
			[b => own => 'RS256 token of key 2', sub { bearer($R2) }, '200'],
			[b => own => 'RS256 token of key 1', sub { bearer($R1) }, '401 signature'],
		],
	},
	{
		d => 'onlyoffice_jwt_algorithms',
		level => 'onlyoffice_jwt_algorithms HS512;',
		own => 'onlyoffice_jwt_algorithms HS256;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[b => inh => 'HS512 token',
				sub { bearer(jwt($S1, { sub => 'a' }, alg => 'HS512')) }, '200'],
			[b => inh => 'HS256 token',
				sub { bearer(jwt($S1, { sub => 'a' })) }, '401 algorithm'],
			[b => own => 'HS256 token',
				sub { bearer(jwt($S1, { sub => 'a' })) }, '200'],
			[b => own => 'HS512 token',
				sub { bearer(jwt($S1, { sub => 'a' }, alg => 'HS512')) },
				'401 algorithm'],
		],
	},
	{
		d => 'onlyoffice_jwt_issuer',
		level => 'onlyoffice_jwt_issuer https://a.example/ https://b.example/;',
		own => 'onlyoffice_jwt_issuer https://c.example/;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[b => inh => 'iss a', sub { bearer(jwt($S1, { iss => 'https://a.example/' })) },
				'200'],
			[b => inh => 'iss b', sub { bearer(jwt($S1, { iss => 'https://b.example/' })) },
				'200'],
			[b => inh => 'iss c', sub { bearer(jwt($S1, { iss => 'https://c.example/' })) },
				'401 issuer'],
			[b => own => 'iss c', sub { bearer(jwt($S1, { iss => 'https://c.example/' })) },
				'200'],
			[b => own => 'iss a', sub { bearer(jwt($S1, { iss => 'https://a.example/' })) },
				'401 issuer'],
		],
	},
	{
		d => 'onlyoffice_jwt_audience',
		level => 'onlyoffice_jwt_audience api-a api-b;',
		own => 'onlyoffice_jwt_audience api-c;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[b => inh => 'aud [x, api-b]',
				sub { bearer(jwt($S1, { aud => ['x', 'api-b'] })) }, '200'],
			[b => inh => 'aud api-c',
				sub { bearer(jwt($S1, { aud => 'api-c' })) }, '401 audience'],
			[b => own => 'aud api-c',
				sub { bearer(jwt($S1, { aud => 'api-c' })) }, '200'],
			[b => own => 'aud api-a',
				sub { bearer(jwt($S1, { aud => 'api-a' })) }, '401 audience'],
		],
	},
	{
		d => 'onlyoffice_jwt_header',
		level => 'onlyoffice_jwt_header X-Jwt;',
		own => 'onlyoffice_jwt_header X-Other;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[b => inh => 'token in X-Jwt',
				sub { in_header('X-Jwt', jwt($S1, { sub => 'a' })) }, '200'],
			[b => inh => 'token in Authorization',
				sub { in_header('Authorization', jwt($S1, { sub => 'a' })) },
				'401 missing'],
			[b => own => 'token in X-Other',
				sub { in_header('X-Other', jwt($S1, { sub => 'a' })) }, '200'],
			[b => own => 'token in X-Jwt',
				sub { in_header('X-Jwt', jwt($S1, { sub => 'a' })) }, '401 missing'],
		],
	},
	{
		d => 'onlyoffice_jwt_token',
		level => 'onlyoffice_jwt_token $arg_t;',
		own => 'onlyoffice_jwt_token $cookie_jwt;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[b => inh => 'token in ?t=',
				sub { [ 'GET', 'x?t=' . jwt($S1, { sub => 'a' }) ] }, '200'],
			[b => inh => 'token in Authorization',
				sub { bearer(jwt($S1, { sub => 'a' })) }, '401 missing'],
			[b => own => 'token in cookie jwt',
				sub { [ 'GET', 'x', headers => [ 'Cookie: jwt=' . jwt($S1, { sub => 'a' }) ] ] },
				'200'],
			[b => own => 'token in ?t=',
				sub { [ 'GET', 'x?t=' . jwt($S1, { sub => 'a' }) ] }, '401 missing'],
		],
	},
	{
		d => 'onlyoffice_jwt_leeway',
		# the default is 60s: exp 30 s ago passes it, 90 s ago does not
		level => 'onlyoffice_jwt_leeway 0;',
		own => 'onlyoffice_jwt_leeway 120s;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[b => inh => 'exp 30 s ago',
				sub { bearer(jwt($S1, { exp => time() - 30 })) }, '401 expired'],
			[b => inh => 'exp in 300 s',
				sub { bearer(jwt($S1, { exp => time() + 300 })) }, '200'],
			[b => own => 'exp 90 s ago',
				sub { bearer(jwt($S1, { exp => time() - 90 })) }, '200'],
			[b => own => 'exp 300 s ago',
				sub { bearer(jwt($S1, { exp => time() - 300 })) }, '401 expired'],
		],
	},
	{
		d => 'onlyoffice_jwt_require_exp',
		# off by default for bearer and command
		level => 'onlyoffice_jwt_require_exp on;',
		own => 'onlyoffice_jwt_require_exp off;',
		kinds => {
			b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;",
			c => "onlyoffice_jwt command;\nonlyoffice_jwt_secret $S1;",
		},
		checks => [
			[b => inh => 'bearer, token without exp',
				sub { bearer(jwt($S1, { sub => 'a' })) }, '401 expired'],
			[b => inh => 'bearer, token with exp',
				sub { bearer(jwt($S1, { sub => 'a' }, ttl => 300)) }, '200'],
			[b => own => 'bearer, token without exp',
				sub { bearer(jwt($S1, { sub => 'a' })) }, '200'],
			[c => inh => 'command, body token without exp',
				sub { command(jwt($S1, { %CMD })) }, '401 expired'],
			[c => inh => 'command, body token with exp',
				sub { command(jwt($S1, { %CMD }, ttl => 300)) }, '200'],
			[c => own => 'command, body token without exp',
				sub { command(jwt($S1, { %CMD })) }, '200'],
		],
	},
	{
		d => 'onlyoffice_jwt_require',
		level => 'onlyoffice_jwt_require $jwt_claim_admin;',
		own => 'onlyoffice_jwt_require $jwt_claim_editor;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[b => inh => 'token with admin',
				sub { bearer(jwt($S1, { admin => 1 })) }, '200'],
			[b => inh => 'token with editor only',
				sub { bearer(jwt($S1, { editor => 1 })) }, '403 require'],
			[b => own => 'token with editor only',
				sub { bearer(jwt($S1, { editor => 1 })) }, '200'],
			[b => own => 'token with admin only',
				sub { bearer(jwt($S1, { admin => 1 })) }, '403 require'],
		],
	},
	{
		d => 'onlyoffice_jwt_body_limit',
		# the default is 1m
		level => 'onlyoffice_jwt_body_limit 1k;',
		own => 'onlyoffice_jwt_body_limit 8k;',
		kinds => { c => "onlyoffice_jwt command;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[c => inh => 'command body of 900 bytes',
				sub { command(jwt($S1, { %CMD }), 900) }, '200'],
			[c => inh => 'command body of 2k',
				sub { command(jwt($S1, { %CMD }), 2048) }, '413 body_too_large'],
			[c => own => 'command body of 2k',
				sub { command(jwt($S1, { %CMD }), 2048) }, '200'],
			[c => own => 'command body of 10k',
				sub { command(jwt($S1, { %CMD }), 10240) }, '413 body_too_large'],
		],
	},
	{
		d => 'onlyoffice_jwt_realm',
		level => 'onlyoffice_jwt_realm level-realm;',
		own => 'onlyoffice_jwt_realm own-realm;',
		kinds => { b => "onlyoffice_jwt bearer;\nonlyoffice_jwt_secret $S1;" },
		checks => [
			[b => inh => 'challenge, no token', sub { bearer(undef) },
				'Bearer realm="level-realm"', 'WWW-Authenticate'],
			[b => inh => 'challenge, bad token', sub { bearer('garbage') },
				'Bearer realm="level-realm", error="invalid_token"', 'WWW-Authenticate'],
			[b => own => 'challenge, no token', sub { bearer(undef) },
				'Bearer realm="own-realm"', 'WWW-Authenticate'],
			[b => own => 'challenge, bad token', sub { bearer('garbage') },
				'Bearer realm="own-realm", error="invalid_token"', 'WWW-Authenticate'],
		],
	},
);

###############################################################################

for my $c (@cases) {
	for my $level (qw/ http server /) {
		my $what = "$c->{d} at $level";

		$t->write_file_expand('nginx.conf', conf($c, $level));
		my $ok = eval { $t->run(); 1 };
		ok($ok, "$what: nginx starts") or diag($@);

		my @where = (
			[inh => port(8080), 'inh', 'location without it'],
			[own => port(8080), 'own', 'location setting its own'],
			$level eq 'http'
				? [own => port(8082), 'inh',
					'server setting its own, location without it']
				: (),
		);

		for my $w (@where) {
			my ($at, $port, $prefix, $place) = @$w;

			for my $check (grep { $_->[1] eq $at } @{$c->{checks}}) {
				my ($kind, undef, $name, $make, $want, $header) = @$check;
				my ($method, $tail, %o) = @{$make->()};

				my $r = http_req($method, "/$prefix-$kind/$tail", %o,
					PeerAddr => "127.0.0.1:$port");

				is(result($r, $header), $want, "$what, $place: $name: $want");
			}
		}

		$t->stop() if $ok;
	}
}

###############################################################################

# nginx.conf for case $c with its directive at $level (http or server)
sub conf {
	my ($c, $level) = @_;

	my $err = 'add_header X-Err "e=$onlyoffice_jwt_error" always;';
	my (@front, @other);

	for my $k (sort keys %{$c->{kinds}}) {
		my $base = $c->{kinds}{$k};
		push @front, location("/inh-$k/", $base),
			location("/own-$k/", "$base\n$c->{own}");
		push @other, location("/inh-$k/", $base);
	}

	return http_conf(
		($level eq 'http' ? indent($c->{level}, 4) : ''),
		server_conf(8080, indent($err, 8)
			. ($level eq 'server' ? indent($c->{level}, 8) : '')
			. join('', @front)),
		($level eq 'http'
			? server_conf(8082, indent($err, 8) . indent($c->{own}, 8)
				. join('', @other))
			: ()),
		server_conf(8081, <<'EOF'));
        onlyoffice_jwt off;

        location / {
            return 200 "backend ok\n";
        }
EOF
}

sub location {
	my ($prefix, $text) = @_;
	return "\n        location $prefix {\n" . indent($text, 12)
		. "            proxy_pass http://127.0.0.1:8081;\n        }\n";
}

sub indent {
	my ($text, $n) = @_;
	return join '', map { (' ' x $n) . "$_\n" } grep { length } split /\n/, $text;
}

# what a response says: a header's value when one is named, else the status and
# $onlyoffice_jwt_error ("401 expired"; a 200 that the backend did not send says so)
sub result {
	my ($r, $header) = @_;

	return header_of($r, $header) // '(none)' if defined $header;

	my $status = status_of($r);
	my $err = header_of($r, 'X-Err') // '(no X-Err)';
	$err =~ s/^e=//;

	my $got = $status;
	$got .= " $err" if length $err;
	$got .= ' (not from the backend)'
		if $status == 200 && (body_of($r) // '') !~ /^backend ok/;
	return $got;
}

###############################################################################
