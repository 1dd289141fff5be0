#!/usr/bin/perl

# (C) ngx-onlyoffice-jwt tests
#
# Public-key tokens: RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA with keys from
# onlyoffice_jwt_key_file (PEM SPKI, PEM PKCS#1, JWK Set), kid selection, issuer and
# audience, the cache of verified tokens (exp still checked on every request), key rotation
# by reload, the confusion attacks (an HS256 token signed with the RSA public key's PEM
# text, alg switched between families, an ES256 signature in DER, PS256 with a wrong salt
# length, high-S ECDSA), and the key files that are configuration errors. Keys are made by
# openssl and tokens by PyJWT at test time (t/lib/jwt_tool.py); nothing is committed.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx

###############################################################################

my $SECRET = 'pubkey-test-hmac-secret-0123456789abcdef';

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(101);
my $d = $t->testdir();

openssl_keypair($d, 'rsa', qw/-algorithm RSA -pkeyopt rsa_keygen_bits:2048/);
openssl_keypair($d, 'rsa2', qw/-algorithm RSA -pkeyopt rsa_keygen_bits:3072/);
openssl_keypair($d, 'rsa1024', qw/-algorithm RSA -pkeyopt rsa_keygen_bits:1024/);
openssl_keypair($d, 'p256', qw/-algorithm EC -pkeyopt ec_paramgen_curve:P-256/);
openssl_keypair($d, 'p384', qw/-algorithm EC -pkeyopt ec_paramgen_curve:P-384/);
openssl_keypair($d, 'p521', qw/-algorithm EC -pkeyopt ec_paramgen_curve:P-521/);
openssl_keypair($d, 'ed', qw/-algorithm ED25519/);
system("openssl rsa -in $d/rsa.key -RSAPublicKey_out -out $d/rsa.pkcs1 2>/dev/null") == 0
	or die "openssl rsa -RSAPublicKey_out failed\n";

$t->write_file('set.jwks', key_tool('jwks', "r1=$d/rsa.pub:RS256", "e1=$d/p256.pub",
	"d1=$d/ed.pub"));
$t->write_file('rotating.jwks', key_tool('jwks', "old=$d/rsa.pub"));

my $conf = http_conf(server_conf(8080, <<"EOF"), server_conf(8081, <<'EOF'));
        add_header X-Err "e=\$onlyoffice_jwt_error" always;
        onlyoffice_jwt bearer;
        # each location's own keys replace this one
        onlyoffice_jwt_secret $SECRET;
        proxy_set_header X-Ok "\$jwt_claim_sub";

        location /rsa {
            onlyoffice_jwt_key_file %%TESTDIR%%/rsa.pub;
            onlyoffice_jwt_algorithms RS256 RS384 RS512 PS256 PS384 PS512;
            proxy_pass http://127.0.0.1:8081;
        }
        location /pkcs1 {
            onlyoffice_jwt_key_file %%TESTDIR%%/rsa.pkcs1;
            onlyoffice_jwt_algorithms RS256;
            proxy_pass http://127.0.0.1:8081;
        }
        location /p256 {
            onlyoffice_jwt_key_file %%TESTDIR%%/p256.pub;
            onlyoffice_jwt_algorithms ES256;
            proxy_pass http://127.0.0.1:8081;
        }
        location /p384 {
            onlyoffice_jwt_key_file %%TESTDIR%%/p384.pub;
            onlyoffice_jwt_algorithms ES384;
            proxy_pass http://127.0.0.1:8081;
        }
        location /p521 {
            onlyoffice_jwt_key_file %%TESTDIR%%/p521.pub;
            onlyoffice_jwt_algorithms ES512;
            proxy_pass http://127.0.0.1:8081;
        }
        location /ed {
            onlyoffice_jwt_key_file %%TESTDIR%%/ed.pub;
            onlyoffice_jwt_algorithms EdDSA;
            proxy_pass http://127.0.0.1:8081;
        }
        location /set {
            onlyoffice_jwt_key_file %%TESTDIR%%/set.jwks;
            onlyoffice_jwt_algorithms RS256 PS256 ES256 EdDSA;
            proxy_set_header X-Ok "\$jwt_claim_sub \$jwt_header_kid";
            proxy_pass http://127.0.0.1:8081;
        }
        location /mixed {
            # an HMAC secret and an RSA key in one location, both algorithms allowed
            onlyoffice_jwt_secret $SECRET;
            onlyoffice_jwt_key_file %%TESTDIR%%/rsa.pub;
            onlyoffice_jwt_algorithms HS256 RS256;
            proxy_pass http://127.0.0.1:8081;
        }
        location /rsa-hs {
            # HS256 allowed, but the only key is RSA's
            onlyoffice_jwt_key_file %%TESTDIR%%/rsa.pub;
            onlyoffice_jwt_algorithms HS256 RS256;
            proxy_pass http://127.0.0.1:8081;
        }
        location /claims {
            onlyoffice_jwt_key_file %%TESTDIR%%/rsa.pub;
            onlyoffice_jwt_algorithms RS256;
            onlyoffice_jwt_issuer https://idp.example.com/ https://other.example.com/;
            onlyoffice_jwt_audience nginx-api;
            proxy_pass http://127.0.0.1:8081;
        }
        location /claims-idp {
            # the same key, another issuer list: a token cached in /claims is not
            # accepted here
            onlyoffice_jwt_key_file %%TESTDIR%%/rsa.pub;
            onlyoffice_jwt_algorithms RS256;
            onlyoffice_jwt_issuer https://idp.example.com/;
            proxy_pass http://127.0.0.1:8081;
        }
        location /short {
            onlyoffice_jwt_key_file %%TESTDIR%%/rsa.pub;
            onlyoffice_jwt_algorithms RS256;
            onlyoffice_jwt_leeway 0;
            proxy_pass http://127.0.0.1:8081;
        }
        location /rotating {
            onlyoffice_jwt_key_file %%TESTDIR%%/rotating.jwks;
            onlyoffice_jwt_algorithms RS256;
            proxy_pass http://127.0.0.1:8081;
        }
EOF
        location / {
            return 200 "ok $http_x_ok";
        }
EOF

$t->write_file_expand('nginx.conf', $conf);
$t->run();

###############################################################################

my $now = time();

sub token {
	my ($alg, $key, $claims, $header) = @_;
	return key_tool('sign', $alg, "$d/$key.key", json($claims),
		defined $header ? json($header) : ());
}

sub get {
	my ($uri, $token) = @_;
	return http_req('GET', $uri, headers => [ "Authorization: Bearer $token" ]);
}

sub check {
	my ($uri, $token, $status, $err, $name) = @_;
	my $r = get($uri, $token);
	is(status_of($r), $status, "$name: $status");
	is(header_of($r, 'X-Err'), "e=$err", "$name: \$onlyoffice_jwt_error $err")
		if defined $err;
}

# a token with its signature's first character changed (to another that keeps the
# base64url spelling canonical)
sub tampered {
	my ($token) = @_;
	my ($input, $sig) = $token =~ /^(.*)\.([^.]+)$/;
	substr($sig, 0, 1) = substr($sig, 0, 1) eq 'A' ? 'B' : 'A';
	return "$input.$sig";
}

# every algorithm, good and tampered
for my $c (['RS256', 'rsa', '/rsa'], ['RS384', 'rsa', '/rsa'], ['RS512', 'rsa', '/rsa'],
	['PS256', 'rsa', '/rsa'], ['PS384', 'rsa', '/rsa'], ['PS512', 'rsa', '/rsa'],
	['ES256', 'p256', '/p256'], ['ES384', 'p384', '/p384'], ['ES512', 'p521', '/p521'],
	['EdDSA', 'ed', '/ed'])
{
	my ($alg, $key, $uri) = @$c;
	my $tok = token($alg, $key, { sub => lc $alg, exp => $now + 600 });
	my $r = get($uri, $tok);
	is(body_of($r), 'ok ' . lc $alg, "$alg: accepted");
	is(status_of(get($uri, tampered($tok))), 401, "$alg: tampered signature refused");
}

check('/pkcs1', token('RS256', 'rsa', { sub => 'p' }), 200, '', 'RSA PUBLIC KEY (PKCS#1)');
check('/rsa', token('RS256', 'rsa2', { sub => 'x' }), 401, 'signature', 'RS256, other key');
check('/p256', token('ES256', 'p384', { sub => 'x' }), 401, 'signature',
	'ES256 made with a P-384 key');
check('/p256', token('ES384', 'p384', { sub => 'x' }), 401, 'algorithm', 'ES384 at ES256');

# kid
like(body_of(get('/set', token('RS256', 'rsa', { sub => 'k' }, { kid => 'r1' }))),
	qr/^ok k r1$/, 'kid picks the RSA key');
is(status_of(get('/set', token('ES256', 'p256', { sub => 'k' }, { kid => 'e1' }))), 200,
	'kid picks the EC key');
is(status_of(get('/set', token('EdDSA', 'ed', { sub => 'k' }))), 200,
	'no kid: every key that fits is tried');
check('/set', token('RS256', 'rsa', { sub => 'k' }, { kid => 'nope' }), 401, 'signature',
	'kid that matches nothing: no fallback');
check('/set', token('ES256', 'p256', { sub => 'k' }, { kid => 'r1' }), 401, 'signature',
	'kid of a key of another family');
check('/set', token('PS256', 'rsa', { sub => 'k' }, { kid => 'r1' }), 401, 'signature',
	'PS256 with a key whose JWK says RS256');

# confusion
my $pem = $t->read_file('rsa.pub');
my $hs_pem = jwt($pem, { sub => 'evil' });
check('/mixed', $hs_pem, 401, 'signature', 'HS256 signed with the RSA PEM text');
check('/rsa-hs', $hs_pem, 401, 'signature', 'HS256 with the PEM, only an RSA key');
check('/rsa', $hs_pem, 401, 'algorithm', 'HS256 where only RS/PS are allowed');
check('/mixed', jwt($SECRET, { sub => 'hs' }), 200, '', 'the genuine HS256 token');
check('/mixed', token('RS256', 'rsa', { sub => 'rs' }), 200, '', 'the genuine RS256 token');

my $rs = token('RS256', 'rsa', { sub => 'switch' });
my ($h, $p, $s) = split /\./, $rs;
check('/set', b64url(json({ alg => 'ES256', typ => 'JWT' })) . ".$p.$s", 401, 'signature',
	'RS256 signature under alg ES256');
check('/set', b64url(json({ alg => 'HS256', typ => 'JWT' })) . ".$p.$s", 401, 'algorithm',
	'RS256 signature under alg HS256 (not allowed)');
check('/mixed', b64url(json({ alg => 'HS256', typ => 'JWT' })) . ".$p.$s", 401,
	'signature', 'RS256 signature under alg HS256 (allowed)');

check('/p256', key_tool('der', 'ES256', "$d/p256.key", json({ sub => 'der' })), 401,
	'signature', 'ES256 signature in DER');
check('/rsa', key_tool('pss-salt', 'PS256', "$d/rsa.key", json({ sub => 's' }), 20), 401,
	'signature', 'PS256 with a 20-byte salt');
check('/rsa', key_tool('pss-salt', 'PS256', "$d/rsa.key", json({ sub => 's' }), 32), 200,
	'', 'PS256 with the 32-byte salt');
# ECDSA signatures are malleable: (r, n - s) verifies as well as (r, s); aws-lc-rs, like
# RFC 7518, does not ask for low S. The token differs, so it is verified on its own.
check('/p256', key_tool('high-s', 'ES256', "$d/p256.key", json({ sub => 'hs' })), 200, '',
	'high-S ES256 verifies');

# issuer and audience
my $good = { iss => 'https://other.example.com/', aud => [ 'x', 'nginx-api' ] };
check('/claims', token('RS256', 'rsa', $good), 200, '', 'issuer and audience (array)');
check('/claims', token('RS256', 'rsa', { %$good, aud => 'nginx-api' }), 200, '',
	'audience as a string');
check('/claims', token('RS256', 'rsa', { %$good, iss => 'https://evil.example.com/' }), 401,
	'issuer', 'other issuer');
check('/claims', token('RS256', 'rsa', { aud => 'nginx-api' }), 401, 'issuer', 'no issuer');
check('/claims', token('RS256', 'rsa', { %$good, aud => [ 'x' ] }), 401, 'audience',
	'other audience');

# the cache: a repeated token is accepted each time, and exp is checked on each request
my $other = token('RS256', 'rsa', $good);
check('/claims', $other, 200, '', 'cached in one location');
check('/claims', $other, 200, '', 'cached in one location, again');
check('/claims-idp', $other, 401, 'issuer', 'cached token, location of another issuer');
my $short = token('RS256', 'rsa', { sub => 'c', exp => time() + 2 });
is(status_of(get('/short', $short)), 200, 'cached token: first request');
is(status_of(get('/short', $short)), 200, 'cached token: second request');
sleep 3;
check('/short', $short, 401, 'expired', 'cached token after its exp');

# rotation by reload
my $old = token('RS256', 'rsa', { sub => 'old' });
my $new = token('RS256', 'rsa2', { sub => 'new' });
is(status_of(get('/rotating', $old)), 200, 'rotation: old key before');
is(status_of(get('/rotating', $new)), 401, 'rotation: new key before');
$t->write_file('rotating.jwks', key_tool('jwks', "new=$d/rsa2.pub"));
ok(reload_and_wait($t), 'rotation: reloaded');
is(status_of(get('/rotating', $new)), 200, 'rotation: new key after');
is(status_of(get('/rotating', $old)), 401, 'rotation: old key after (cache emptied)');

# a key file that is not good any more: the reload fails, the running keys serve on
$t->write_file('rotating.jwks', key_tool('jwks', "small=$d/rsa1024.pub"));
is(reload_and_wait($t), 0, 'reload with a 1024-bit key fails');
like($t->read_file('error.log'),
	qr/\[emerg\] [^\n]*key file "[^"]*rotating\.jwks": key 1 \(kid "small"\): RSA modulus of 1024 bits[^\n]* in \Q$d\E\/+nginx\.conf:\d+\n/,
	'the [emerg] names the file, the key and nginx.conf');
is(status_of(get('/rotating', $new)), 200, 'failed reload: the running keys serve on');

$t->stop();

###############################################################################

# key files that are configuration errors: nginx does not start, and says why

my @bad = (
	['a private key', 'rsa.key', qr/the PEM key: is a private key/],
	['a 1024-bit key', 'rsa1024.pub', qr/RSA modulus of 1024 bits/],
	['a missing file', 'nothing.pem', qr/cannot read key file "[^"]*nothing\.pem"/],
	['an empty set', \'{"keys":[]}', qr/: no key/],
	['alg and kty disagree', \('{"kty":"oct","k":"' . b64url('k' x 32) . '","alg":"ES256"}'),
		qr/key 1: alg "ES256" does not fit a key of kty "oct"/],
	['an RSA key only, HS256 allowed', 'rsa.pub', qr/no key of "onlyoffice_jwt bearer" in [^\n]* verifies an allowed algorithm \(HS256\)/, 'HS256'],
);

for my $case (@bad) {
	my ($name, $file, $re, $algs) = @$case;
	if (ref $file) {
		$t->write_file('bad.jwks', $$file);
		$file = 'bad.jwks';
	}
	$algs //= 'RS256';
	$t->write_file_expand('nginx.conf', http_conf(server_conf(8080, <<"EOF")));
        location / {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_algorithms $algs;
            onlyoffice_jwt_key_file %%TESTDIR%%/$file;
        }
EOF
	my $off = -s "$d/error.log" // 0;
	my $died = !eval { $t->run(); 1 };
	ok($died, "$name: nginx does not start");
	$t->stop() unless $died;
	like(substr($t->read_file('error.log'), $off), qr/\[emerg\] [^\n]*$re/, "$name: [emerg]");
}

###############################################################################
