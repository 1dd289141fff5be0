#!/usr/bin/perl

# (C) ngx-onlyoffice-jwt tests
#
# The "bearer" profile end to end: every response of SPEC's Responses table
# and every variable, every directive (algorithms, secrets and secret files,
# header, token, leeway, require_exp, require, realm), satisfy/error_page/
# auth_delay, inheritance, keepalive, HTTP/1.0, and large or binary input.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx

use Digest::SHA ();
use JSON::PP ();
use Time::HiRes ();

###############################################################################

my $S1 = 'bearer-secret-one-0123456789abcdefghijkl';   # server level
my $S2 = 'bearer-secret-two-0123456789abcdefghijkl';   # /rot/
my $S3 = 'bearer-secret-three-0123456789abcdefghij';   # /rot/
my $S4 = 'bearer-secret-four-0123456789abcdefghijk';   # nowhere
my $S5 = 'bearer-secret-five-0123456789abcdefghijk';   # file
my $S6 = 'bearer-secret-six-0123456789abcdefghijkl';   # file
my $S7 = 'bearer-secret-seven-0123456789abcdefghij';   # file, commented out
my $SL = 'bearer-secret-location-0123456789abcdefg';   # /own/

my $t = Test::Nginx->new()->has(qw/http proxy rewrite map access empty_gif ssi/)
	->plan(461)->write_file_expand('nginx.conf', http_conf(<<"EOF",
    map \$jwt_claim_role \$role_ok {
        editor   1;
        admin    1;
        default  0;
    }

    map \$jwt_claim_flag \$flag_ok {
        false    0;
        ""       0;
        default  1;
    }
EOF
	server_conf(8080, <<"EOF"),
        large_client_header_buffers 4 64k;

        onlyoffice_jwt_secret $S1;

        add_header X-Err "e=\$onlyoffice_jwt_error" always;
        add_header X-Conn \$connection always;

        proxy_set_header X-Vars "sub=\$jwt_claim_sub|n=\$jwt_claim_n|obj=\$jwt_claim_obj|url=\$jwt_claim_url|admin=\$jwt_claim_admin|alg=\$jwt_header_alg|typ=\$jwt_header_typ|kid=\$jwt_header_kid|uid=\$jwt_claim_userId|err=\$onlyoffice_jwt_error|payload=\$jwt_payload";

        location /p/ {
            onlyoffice_jwt bearer;
            proxy_pass http://127.0.0.1:8081;
        }

        location /early/ {
            onlyoffice_jwt bearer;
            set \$early_sub "\$jwt_claim_sub";
            proxy_set_header X-Vars "early=\$early_sub|sub=\$jwt_claim_sub";
            proxy_pass http://127.0.0.1:8081;
        }

        location /unprotected/ {
            proxy_pass http://127.0.0.1:8081;
        }

        location /algs/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_algorithms HS256 HS384 HS512;
            proxy_pass http://127.0.0.1:8081;
        }

        location /hs512/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_algorithms HS512;
            proxy_pass http://127.0.0.1:8081;
        }

        location /rot/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_secret $S2;
            onlyoffice_jwt_secret $S3;
            proxy_pass http://127.0.0.1:8081;
        }

        location /file/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_secret_file %%TESTDIR%%/bearer.secret;
            proxy_pass http://127.0.0.1:8081;
        }

        location /hdr/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_header AuthorizationJwt;
            proxy_pass http://127.0.0.1:8081;
        }

        location /arg/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_token \$arg_access_token;
            proxy_pass http://127.0.0.1:8081;
        }

        location /cookie/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_token \$cookie_jwt;
            proxy_pass http://127.0.0.1:8081;
        }

        location /lw10/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_leeway 10s;
            proxy_pass http://127.0.0.1:8081;
        }

        location /rexp/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require_exp on;
            proxy_pass http://127.0.0.1:8081;
        }

        location /rexpoff/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require_exp off;
            proxy_pass http://127.0.0.1:8081;
        }

        location /req/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require \$jwt_claim_admin;
            proxy_pass http://127.0.0.1:8081;
        }

        location /req401/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require \$jwt_claim_admin error=401;
            proxy_pass http://127.0.0.1:8081;
        }

        location /reqmulti/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require \$jwt_claim_a;
            onlyoffice_jwt_require \$jwt_claim_b \$jwt_claim_c error=403;
            proxy_pass http://127.0.0.1:8081;
        }

        location /reqmap/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require \$role_ok;
            proxy_pass http://127.0.0.1:8081;
        }

        location /reqfalse/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require \$flag_ok;
            proxy_pass http://127.0.0.1:8081;
        }

        location /realm/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_realm "my \\"realm\\" \\\\ x";
            proxy_pass http://127.0.0.1:8081;
        }

        location /any/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            onlyoffice_jwt bearer;
            proxy_pass http://127.0.0.1:8081;
        }

        location /anydeny/ {
            satisfy any;
            deny all;
            onlyoffice_jwt bearer;
            proxy_pass http://127.0.0.1:8081;
        }

        location /fb/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require \$jwt_claim_admin;
            error_page 401 403 = \@fallback;
            proxy_pass http://127.0.0.1:8081;
        }

        location \@fallback {
            proxy_set_header X-Vars "fallback err=\$onlyoffice_jwt_error sub=\$jwt_claim_sub";
            proxy_pass http://127.0.0.1:8081;
        }

        location /delay/ {
            onlyoffice_jwt bearer;
            auth_delay 500ms;
            proxy_pass http://127.0.0.1:8081;
        }

        location /inh/ {
            onlyoffice_jwt bearer;
            proxy_pass http://127.0.0.1:8081;

            location /inh/off/ {
                onlyoffice_jwt off;
                proxy_pass http://127.0.0.1:8081;
            }

            location /inh/on/ {
                proxy_pass http://127.0.0.1:8081;
            }
        }

        location /own/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_secret $SL;
            proxy_pass http://127.0.0.1:8081;
        }

        location /marker/ {
            onlyoffice_jwt bearer;
            proxy_pass http://127.0.0.1:8081;
        }

        location /gif/ {
            onlyoffice_jwt bearer;
            empty_gif;
        }

        location /static/ {
            onlyoffice_jwt bearer;
        }

        location /ssi/ {
            ssi on;
        }

        location /bl/ {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_body_limit 1k;
            proxy_pass http://127.0.0.1:8081;
        }
EOF
	server_conf(8082, <<"EOF"),
        onlyoffice_jwt bearer;
        onlyoffice_jwt_secret $S1;

        add_header X-Err "e=\$onlyoffice_jwt_error" always;

        location /a/ {
            proxy_pass http://127.0.0.1:8081;
        }

        location /b/ {
            empty_gif;
        }
EOF
	server_conf(8081, <<"EOF")));
        large_client_header_buffers 4 64k;

        location / {
            return 200 "backend uri=\$request_uri\\nvars=\$http_x_vars\\ncl=\$http_content_length\\n";
        }

        location /marker/ {
            access_log %%TESTDIR%%/marker.log;
            return 200 "MARKER\\n";
        }
EOF

$t->write_file('bearer.secret',
	"# secrets for /file/\n\n   $S5   \n\t\n#$S7\n  # indented comment\n$S6\n");
# nginx-tests' write_file() makes no directories
mkdir($t->testdir() . "/$_") for qw/ static ssi /;
$t->write_file('static/file.txt', "static file\n");
$t->write_file('ssi/page.html', 'A<!--# include virtual="/p/sub" -->B');

$t->run();

###############################################################################

my $now = time();
my $good = jwt($S1, { sub => 'alice' }, ttl => 300);
my $CH = 'Bearer realm="onlyoffice"';
my $CH_INVALID = 'Bearer realm="onlyoffice", error="invalid_token"';

# no token

{
	my $r = get('/p/x', undef);
	check_401($r, 'missing', 'no token');
	unlike($r, qr/backend/, 'no token: upstream not reached');

	check_401(req('/p/x', headers => ['Authorization: Basic dXNlcjpwYXNz']),
		'missing', 'Basic scheme');
	check_401(req('/p/x', headers => ['Authorization: Bearer']),
		'missing', 'Bearer without token');
	check_401(req('/p/x', headers => ['Authorization: Bearer    ']),
		'missing', 'Bearer with spaces only');
	check_401(req('/p/x', headers => ["Authorization: Bearer$good"]),
		'missing', 'Bearer without space');
	check_401(req('/p/x', headers => ["Authorization: Bearerx $good"]),
		'missing', 'other scheme starting with Bearer');
	check_401(get("/p/x?token=$good&access_token=$good", undef),
		'missing', 'bearer: query arguments are not looked at');
	check_401(req('/p/x', headers => ["Cookie: jwt=$good"]),
		'missing', 'bearer: cookies are not looked at');
}

# a good token

{
	my $r = get('/p/x', $good);
	ok_200($r, 'good token');
	is(header_of($r, 'WWW-Authenticate'), undef, 'good token: no challenge');
	is(header_of($r, 'X-Err'), 'e=', 'good token: $onlyoffice_jwt_error empty');
	is(vars($r)->{err}, '', 'good token: $onlyoffice_jwt_error empty upstream');
	like($r, qr/^backend uri=\/p\/x$/m, 'good token: upstream got the request');

	ok_200(req('/p/x', headers => ["Authorization: bearer $good"]),
		'scheme bearer');
	ok_200(req('/p/x', headers => ["Authorization: BEARER $good"]),
		'scheme BEARER');
	ok_200(req('/p/x', headers => ["Authorization: bEaReR $good"]),
		'scheme bEaReR');
	ok_200(req('/p/x', headers => ["Authorization: Bearer   $good  "]),
		'spaces around the token');
	ok_200(req('/p/x', headers => ["Authorization: Bearer\t$good"]),
		'tab after the scheme');
	ok_200(req('/p/x', headers => ["authorization: Bearer $good"]),
		'header name in lower case');
}

# malformed tokens

{
	my $h = b64url('{"alg":"HS256","typ":"JWT"}');
	my $c = b64url('{"sub":"alice"}');
	my ($sig) = $good =~ /\.([^.]+)\z/;

	for my $case (
		['garbage', 'garbage'],
		['2 segments', "$h.$c"],
		['4 segments', "$good.$sig"],
		['empty segments', '..'],
		['empty signature', "$h.$c."],
		['bad base64', 'eyJ!!!.eyJ.abc'],
		['base64 padding', "$h=.$c.$sig"],
		['standard base64 alphabet', "$h.$c." . ($sig =~ tr{-_}{+/}r) . '+/'],
		['space inside', "$h.$c $sig"],
		['header not JSON', b64url('not json') . ".$c.$sig"],
		['header JSON array', b64url('["alg"]') . ".$c.$sig"],
		['header duplicate member',
			b64url('{"alg":"HS256","alg":"HS256"}') . ".$c.$sig"],
		['claims not JSON', jwt_raw($S1, '{"alg":"HS256"}', 'not json')],
		['claims duplicate member',
			jwt_raw($S1, '{"alg":"HS256"}', '{"sub":"a","sub":"b"}')],
		['claims JSON array', jwt_raw($S1, '{"alg":"HS256"}', '[1,2]')],
		['exp not a number',
			jwt_raw($S1, '{"alg":"HS256"}', '{"exp":"' . ($now + 300) . '"}')],
		['nbf not a number', jwt_raw($S1, '{"alg":"HS256"}', '{"nbf":null}')],
		['10 KB of a', 'a' x 10240],
	) {
		my ($name, $token) = @$case;
		check_401(get('/p/x', $token), 'malformed', "malformed: $name");
	}
}

# bad signatures

{
	my ($h, $c, $s) = split /\./, $good;
	my $other = jwt($S4, { sub => 'alice' }, ttl => 300);
	my ($oh, $oc) = split /\./, jwt($S1, { sub => 'mallory' }, ttl => 300);
	my $flip = substr($s, 0, 5) . (substr($s, 5, 1) eq 'A' ? 'B' : 'A')
		. substr($s, 6);

	check_401(get('/p/x', $other), 'signature', 'signature: other secret');
	check_401(get('/p/x', "$h.$oc.$s"), 'signature', 'signature: claims swapped');
	check_401(get('/p/x', "$h.$c.$flip"), 'signature', 'signature: one char changed');
	check_401(get('/p/x', "$h.$c." . substr($s, 0, 20)), 'signature',
		'signature: truncated');
	check_401(get('/p/x', jwt($S1, { sub => 'a' }, sign_alg => 'HS512')),
		'signature', 'signature: HS256 header, HS512 signature');
}

# strict base64url: non-canonical trailing bits, which a lenient decoder
# reads as the same bytes, are refused even when the signature is right

{
	my $c = b64url('{"sub":"alice"}');

	my $hdr = noncanonical(b64url('{"alg":"HS256"} '));
	my $in = "$hdr.$c";
	my $r = get('/p/x', "$in." . b64url(Digest::SHA::hmac_sha256($in, $S1)));
	check_401($r, 'malformed', 'non-canonical header segment');

	$in = b64url('{"alg":"HS256"}') . '.' . noncanonical(b64url('{"sub":"alice"} '));
	$r = get('/p/x', "$in." . b64url(Digest::SHA::hmac_sha256($in, $S1)));
	check_401($r, 'malformed', 'non-canonical claims segment');

	$in = b64url('{"alg":"HS256"}') . ".$c";
	$r = get('/p/x', "$in."
		. noncanonical(b64url(Digest::SHA::hmac_sha256($in, $S1))));
	is(status_of($r), 401, 'non-canonical signature: 401');
	is(header_of($r, 'WWW-Authenticate'), $CH_INVALID,
		'non-canonical signature: challenge');
	like(header_of($r, 'X-Err'), qr/^e=(?:signature|malformed)$/,
		'non-canonical signature: $onlyoffice_jwt_error');
}

# algorithms

{
	my $hs384 = jwt($S1, { sub => 'a' }, alg => 'HS384');
	my $hs512 = jwt($S1, { sub => 'a' }, alg => 'HS512');

	check_401(get('/p/x', $hs384), 'algorithm', 'algorithm: HS384 not allowed');
	check_401(get('/p/x', $hs512), 'algorithm', 'algorithm: HS512 not allowed');
	check_401(get('/hs512/x', $good), 'algorithm', 'algorithm: HS256 not allowed');
	check_401(get('/p/x', jwt($S1, { sub => 'a' },
			raw_header => '{"alg":"none","typ":"JWT"}')),
		'algorithm', 'algorithm: none, signed');
	check_401(get('/p/x', jwt($S1, { sub => 'a' },
			raw_header => '{"alg":"hs256"}')),
		'algorithm', 'algorithm: hs256 lower case');
	check_401(get('/p/x', jwt($S1, { sub => 'a' },
			raw_header => '{"typ":"JWT"}')),
		'algorithm', 'algorithm: no alg');
	check_401(get('/p/x', jwt($S1, { sub => 'a' },
			raw_header => '{"alg":"HS256","crit":["exp"]}')),
		'algorithm', 'algorithm: crit');

	# alg none the usual way: an empty signature

	my $r = get('/p/x', b64url('{"alg":"none"}') . '.' . b64url('{"sub":"a"}') . '.');
	is(status_of($r), 401, 'alg none unsigned: 401');
	is(header_of($r, 'WWW-Authenticate'), $CH_INVALID,
		'alg none unsigned: challenge');
	like(header_of($r, 'X-Err'), qr/^e=(?:malformed|algorithm)$/,
		'alg none unsigned: $onlyoffice_jwt_error');

	# jwk/jku/x5u in the header do not pick the key

	ok_200(get('/p/x', jwt($S1, { sub => 'a' }, header => {
			jwk => { kty => 'oct', k => b64url('attacker') },
			jku => 'http://attacker.example/jwks', x5u => 'http://x' })),
		'jwk, jku, x5u ignored');

	for my $alg (qw/HS256 HS384 HS512/) {
		my $r = get('/algs/x', jwt($S1, { sub => 'a' }, alg => $alg));
		ok_200($r, "algorithms: $alg accepted");
		is(vars($r)->{alg}, $alg, "algorithms: \$jwt_header_alg $alg");
	}

	ok_200(get('/hs512/x', $hs512), 'algorithms HS512 only: HS512 accepted');
}

# times

{
	check_401(get('/p/x', jwt($S1, { exp => $now - 120 })),
		'expired', 'expired beyond leeway');
	check_401(get('/p/x', jwt($S1, { exp => $now - 3600, iat => $now - 7200 })),
		'expired', 'expired an hour ago');
	check_401(get('/p/x', jwt($S1, { nbf => $now + 120 })),
		'not_yet_valid', 'nbf beyond leeway');
	check_401(get('/p/x', jwt($S1, { iat => $now + 120 })),
		'not_yet_valid', 'iat beyond leeway');

	my $exp30 = jwt($S1, { exp => $now - 30 });
	my $nbf30 = jwt($S1, { nbf => $now + 30 });

	ok_200(get('/p/x', $exp30), 'exp 30 s ago: accepted with default leeway');
	ok_200(get('/p/x', $nbf30), 'nbf in 30 s: accepted with default leeway');
	ok_200(get('/p/x', jwt($S1, { iat => $now + 30 })),
		'iat in 30 s: accepted with default leeway');
	ok_200(get('/p/x', jwt_raw($S1, '{"alg":"HS256"}',
			'{"exp":' . ($now + 300) . '.5,"nbf":1.5e9}')),
		'fractional and exponent time claims');
	check_401(get('/p/x', jwt_raw($S1, '{"alg":"HS256"}',
			'{"exp":' . ($now - 300) . '.5}')),
		'expired', 'fractional exp in the past');
	check_401(get('/lw10/x', $exp30), 'expired', 'exp 30 s ago: leeway 10s');
	check_401(get('/lw10/x', $nbf30), 'not_yet_valid', 'nbf in 30 s: leeway 10s');
	ok_200(get('/lw10/x', jwt($S1, { exp => $now + 60 })), 'leeway 10s: valid');

	# the edges: expired when now >= exp + leeway, not yet valid when
	# now + leeway < nbf (nginx's clock is not behind ours)

	my $t0 = time();
	check_401(get('/lw10/x', jwt($S1, { exp => $t0 - 10 })), 'expired',
		'leeway 10s: exp = now - 10');
	ok_200(get('/lw10/x', jwt($S1, { exp => $t0 - 5 })),
		'leeway 10s: exp = now - 5');
	ok_200(get('/lw10/x', jwt($S1, { nbf => $t0 + 10 })),
		'leeway 10s: nbf = now + 10');
	check_401(get('/lw10/x', jwt($S1, { nbf => $t0 + 15 })), 'not_yet_valid',
		'leeway 10s: nbf = now + 15');
}

# onlyoffice_jwt_require_exp

{
	my $noexp = jwt($S1, { sub => 'a' });

	ok_200(get('/p/x', $noexp), 'no exp: accepted by default');
	ok_200(get('/rexpoff/x', $noexp), 'no exp: require_exp off');
	check_401(get('/rexp/x', $noexp), 'expired', 'no exp: require_exp on');
	ok_200(get('/rexp/x', $good), 'require_exp on: token with exp');
}

# secrets: rotation, files, location override

{
	ok_200(get('/rot/x', jwt($S2, { sub => 'a' })), 'rotation: first secret');
	ok_200(get('/rot/x', jwt($S3, { sub => 'a' })), 'rotation: second secret');
	check_401(get('/rot/x', jwt($S4, { sub => 'a' })), 'signature',
		'rotation: third secret refused');
	check_401(get('/rot/x', $good), 'signature',
		'rotation: server secret replaced');

	ok_200(get('/file/x', jwt($S5, { sub => 'a' })), 'secret file: first');
	ok_200(get('/file/x', jwt($S6, { sub => 'a' })), 'secret file: second');
	check_401(get('/file/x', jwt($S7, { sub => 'a' })), 'signature',
		'secret file: commented out');
	check_401(get('/file/x', jwt("   $S5   ", { sub => 'a' })), 'signature',
		'secret file: spaces trimmed');
	check_401(get('/file/x', $good), 'signature',
		'secret file: server secret replaced');
}

# onlyoffice_jwt_header

{
	ok_200(req('/hdr/x', headers => ["AuthorizationJwt: Bearer $good"]),
		'header AuthorizationJwt');
	ok_200(req('/hdr/x', headers => ["authorizationjwt: bearer $good"]),
		'header AuthorizationJwt, lower case');
	ok_200(req('/hdr/x', headers => ["AuthorizationJwt: BEARER $good"]),
		'header AuthorizationJwt, BEARER');
	ok_200(req('/hdr/x', headers => ["AuthorizationJwt: Bearer $good",
			'Authorization: Bearer garbage']),
		'header AuthorizationJwt, Authorization ignored');
	check_401(req('/hdr/x', headers => ["Authorization: Bearer $good"]),
		'missing', 'header AuthorizationJwt: token in Authorization');
	check_401(req('/hdr/x', headers => ['AuthorizationJwt: Basic dXNlcjpwYXNz']),
		'missing', 'header AuthorizationJwt: Basic');
	check_401(req('/hdr/x', headers => ['AuthorizationJwt:']),
		'missing', 'header AuthorizationJwt: empty');
	check_401(req('/hdr/x', headers => ["AuthorizationJwt: Bearer $good",
			"AuthorizationJwt: Bearer $good"]),
		'malformed', 'header AuthorizationJwt twice');
	check_401(req('/hdr/x', headers => ["AuthorizationJwt: Bearer $good",
			"AuthorizationJwt: Basic dXNlcjpwYXNz"]),
		'malformed', 'header AuthorizationJwt twice, other scheme');

	# nginx itself refuses a duplicate Authorization header

	is(status_of(req('/p/x', headers => ["Authorization: Bearer $good",
			"Authorization: Bearer $good"])), 400,
		'Authorization twice: 400');
}

# onlyoffice_jwt_token

{
	ok_200(get("/arg/x?access_token=$good", undef), 'token from $arg_access_token');
	ok_200(get("/arg/x?a=1&access_token=$good&b=2", undef),
		'token from $arg_access_token among others');
	check_401(get('/arg/x', $good), 'missing',
		'$arg_access_token: header ignored');
	check_401(get('/arg/x?access_token=', undef), 'missing',
		'$arg_access_token: empty');
	check_401(get('/arg/x?access_token=garbage', undef), 'malformed',
		'$arg_access_token: garbage');
	check_401(get('/arg/x?access_token=%00%ff%fe', undef), 'malformed',
		'$arg_access_token: escaped binary');
	check_401(get('/arg/x?access_token=' . jwt($S4, {}), undef), 'signature',
		'$arg_access_token: bad signature');

	ok_200(req('/cookie/x', headers => ["Cookie: a=b; jwt=$good; c=d"]),
		'token from $cookie_jwt');
	check_401(req('/cookie/x', headers => ['Cookie: other=1']), 'missing',
		'$cookie_jwt: no cookie');
	check_401(req('/cookie/x', headers => ['Cookie: jwt=']), 'missing',
		'$cookie_jwt: empty');
	check_401(req('/cookie/x', headers => ["Authorization: Bearer $good"]),
		'missing', '$cookie_jwt: header ignored');
	check_401(req('/cookie/x', headers => ['Cookie: jwt=x.y.z']), 'malformed',
		'$cookie_jwt: garbage');
}

# onlyoffice_jwt_require

{
	my %claims = (
		'missing' => [ {}, 403 ],
		'0' => [ { admin => 0 }, 403 ],
		'"0"' => [ { admin => '0' }, 403 ],
		'""' => [ { admin => '' }, 403 ],
		'1' => [ { admin => 1 }, 200 ],
		'"yes"' => [ { admin => 'yes' }, 200 ],
		'true' => [ { admin => JSON::PP::true }, 200 ],
		'false' => [ { admin => JSON::PP::false }, 200 ],
		'null' => [ { admin => undef }, 200 ],
		'under payload' => [ { payload => { admin => 1 } }, 200 ],
	);

	for my $name (sort keys %claims) {
		my ($c, $status) = @{$claims{$name}};
		my $r = get('/req/x', jwt($S1, { sub => 'a', %$c }));

		if ($status == 403) {
			check_403($r, 'require', "require, admin $name");
		} else {
			ok_200($r, "require, admin $name");
		}
	}

	is(vars(get('/req/x', jwt($S1, { admin => JSON::PP::false })))->{admin},
		'false', 'require: JSON false renders as false');

	my $r = get('/req401/x', jwt($S1, { sub => 'a' }));
	check_401($r, 'require', 'require error=401');
	ok_200(get('/req401/x', jwt($S1, { admin => 1 })), 'require error=401: ok');

	ok_200(get('/reqmulti/x', jwt($S1, { a => 1, b => 1, c => 1 })),
		'several requires: all there');
	check_403(get('/reqmulti/x', jwt($S1, { b => 1, c => 1 })), 'require',
		'several requires: first missing');
	check_403(get('/reqmulti/x', jwt($S1, { a => 1, b => 1 })), 'require',
		'several requires: last value missing');
	check_403(get('/reqmulti/x', jwt($S1, { a => 1, b => 0, c => 1 })), 'require',
		'several requires: value 0');

	ok_200(get('/reqmap/x', jwt($S1, { role => 'editor' })), 'map: editor');
	ok_200(get('/reqmap/x', jwt($S1, { role => 'admin' })), 'map: admin');
	check_403(get('/reqmap/x', jwt($S1, { role => 'viewer' })), 'require',
		'map: viewer');
	check_403(get('/reqmap/x', jwt($S1, { sub => 'a' })), 'require',
		'map: no role');

	check_403(get('/reqfalse/x', jwt($S1, { flag => JSON::PP::false })),
		'require', 'map: JSON false made 0');
	ok_200(get('/reqfalse/x', jwt($S1, { flag => JSON::PP::true })),
		'map: JSON true');

	# a bad token is refused for the token, not the requirement

	check_401(get('/req/x', jwt($S4, { admin => 1 })), 'signature',
		'require: bad signature first');
	check_401(get('/req/x', undef), 'missing', 'require: no token');
}

# onlyoffice_jwt_realm

{
	my $r = get('/realm/x', undef);
	is(status_of($r), 401, 'realm: 401');
	is(header_of($r, 'WWW-Authenticate'), 'Bearer realm="my \"realm\" \\\\ x"',
		'realm: escaped');

	$r = get('/realm/x', 'garbage');
	is(header_of($r, 'WWW-Authenticate'),
		'Bearer realm="my \"realm\" \\\\ x", error="invalid_token"',
		'realm: escaped, invalid token');
}

# variables

{
	my $tok = jwt($S1, { sub => 'alice', n => 42, obj => { a => 1, b => [1, 'x'] },
		url => 'http://h/a?b=c', admin => JSON::PP::true },
		header => { kid => 'key-7' });
	my $r = get('/p/x', $tok);
	my $v = vars($r);

	ok_200($r, 'variables');
	is($v->{sub}, 'alice', '$jwt_claim_sub: a string as is');
	is($v->{n}, '42', '$jwt_claim_n: a number as JSON');
	is($v->{obj}, '{"a":1,"b":[1,"x"]}', '$jwt_claim_obj: an object as JSON');
	is($v->{url}, 'http://h/a?b=c', '$jwt_claim_url');
	is($v->{admin}, 'true', '$jwt_claim_admin: true');
	is($v->{alg}, 'HS256', '$jwt_header_alg');
	is($v->{typ}, 'JWT', '$jwt_header_typ');
	is($v->{kid}, 'key-7', '$jwt_header_kid');
	is($v->{err}, '', '$onlyoffice_jwt_error: empty');
	is($v->{payload}, payload_of($tok), '$jwt_payload: the claims as signed');

	# the payload convention

	$tok = jwt($S1, { payload => { sub => 'inner', url => 'http://h/doc', n => 7 },
		sub => 'outer' }, ttl => 300);
	$v = vars(get('/p/x', $tok));

	is($v->{sub}, 'outer', 'payload: top level preferred');
	is($v->{url}, 'http://h/doc', 'payload: a name under payload');
	is($v->{n}, '7', 'payload: a number under payload');
	is($v->{obj}, '', 'payload: a name nowhere');
	is($v->{payload}, payload_of($tok), 'payload: $jwt_payload');

	# claims in the order they were signed, not canonical

	my $raw = '{"z":1,"sub":"bob","a":{"y":2,"x":1}}';
	$v = vars(get('/p/x', jwt_raw($S1, '{"alg":"HS256","typ":"JWT"}', $raw)));
	is($v->{payload}, $raw, '$jwt_payload: order kept');
	is($v->{typ}, 'JWT', '$jwt_header_typ from a raw header');
	is($v->{kid}, '', '$jwt_header_kid: absent');

	# mixed-case claim names: nginx lower-cases variable names, as it does
	# for $arg_ and $cookie_, which match case-insensitively

	$v = vars(get('/p/x', jwt($S1, { userId => 'u-1', sub => 'a' })));
	is($v->{uid}, 'u-1', '$jwt_claim_userId: claim "userId"');

	# a variable read before the check (rewrite phase) is not pinned

	$v = vars(get('/early/x', jwt($S1, { sub => 'early' })));
	is($v->{early}, '', 'variable read before the check: empty');
	is($v->{sub}, 'early', 'variable read after the check: the claim');

	# not set where no check ran

	$v = vars(get('/unprotected/x', $good));
	is(join(',', map { $v->{$_} } qw/sub alg err payload/), ',,,',
		'variables empty without the check');
}

# satisfy any, error_page, auth_delay

{
	my $r = get('/any/x', undef);
	ok_200($r, 'satisfy any with allow: no token');
	is(header_of($r, 'WWW-Authenticate'), undef,
		'satisfy any with allow: no challenge');
	ok_200(get('/any/x', 'garbage'), 'satisfy any with allow: bad token');

	check_401(get('/anydeny/x', undef), 'missing', 'satisfy any with deny: no token');
	check_401(get('/anydeny/x', 'garbage'), 'malformed',
		'satisfy any with deny: bad token');
	ok_200(get('/anydeny/x', $good), 'satisfy any with deny: good token');

	$r = get('/fb/log-fb', undef);
	is(status_of($r), 200, 'error_page 401: fallback status');
	like($r, qr/^vars=fallback err=missing sub=$/m,
		'error_page 401: $onlyoffice_jwt_error in the fallback');

	$r = get('/fb/x', jwt($S4, { sub => 'x' }));
	like($r, qr/^vars=fallback err=signature sub=$/m,
		'error_page 401: bad signature in the fallback');

	$r = get('/fb/x', jwt($S1, { sub => 'bob' }));
	like($r, qr/^vars=fallback err=require sub=$/m,
		'error_page 403: require in the fallback, the refused token\'s claims not');

	ok_200(get('/fb/x', jwt($S1, { sub => 'bob', admin => 1 })),
		'error_page: good token');

	my $start = Time::HiRes::time();
	$r = get('/delay/log-delay', undef);
	my $took = Time::HiRes::time() - $start;
	check_401($r, 'missing', 'auth_delay');
	cmp_ok($took, '>=', 0.4, 'auth_delay: 401 delayed');

	$start = Time::HiRes::time();
	$r = get('/delay/x', 'garbage');
	$took = Time::HiRes::time() - $start;
	cmp_ok($took, '>=', 0.4, 'auth_delay: bad token delayed');

	$start = Time::HiRes::time();
	$r = get('/delay/x', $good);
	$took = Time::HiRes::time() - $start;
	ok_200($r, 'auth_delay: good token');
	cmp_ok($took, '<', 0.4, 'auth_delay: good token not delayed');
}

# inheritance

{
	check_401(get('/inh/x', undef), 'missing', 'inheritance: profile in location');
	ok_200(get('/inh/x', $good), 'inheritance: server secret');
	check_401(get('/inh/on/x', undef), 'missing', 'inheritance: nested location');
	ok_200(get('/inh/on/x', $good), 'inheritance: nested location, token');
	ok_200(get('/inh/off/x', undef), 'inheritance: nested off');

	check_401(get('/own/x', $good), 'signature',
		'inheritance: location secret replaces server secret');
	ok_200(get('/own/x', jwt($SL, { sub => 'a' })),
		'inheritance: location secret');

	my $p = port(8082);

	check_401(get('/a/x', undef, port => $p), 'missing',
		'profile at server level: location a');
	ok_200(get('/a/x', $good, port => $p), 'profile at server level: a, token');
	check_401(get('/b/x', undef, port => $p), 'missing',
		'profile at server level: location b');
	like(get('/b/x', $good, port => $p), qr/^HTTP\/1\.1 200 .*Content-Type: image\/gif/s,
		'profile at server level: b, token');
	check_401(get('/nowhere', undef, port => $p), 'missing',
		'profile at server level: no location');
}

# other content handlers

{
	check_401(get('/gif/x', undef), 'missing', 'empty_gif: no token');
	like(get('/gif/x', $good), qr/^HTTP\/1\.1 200 .*Content-Type: image\/gif/s,
		'empty_gif: token');
	check_401(get('/static/file.txt', undef), 'missing', 'static: no token');
	like(get('/static/file.txt', $good), qr/\r\n\r\nstatic file\n\z/,
		'static: token');
}

# subrequests are not checked (nginx skips the access phase for them)

{
	my $r = get('/ssi/page.html', undef);
	like(Test::Nginx::http_content($r), qr/^Abackend uri=\/p\/sub\n.*B\z/s,
		'subrequest to a protected location: not checked');
	check_401(get('/p/sub', undef), 'missing', 'the same location, not a subrequest');
}

# the upstream is only reached with a valid token

{
	my $r = get('/marker/', undef);
	is(status_of($r), 401, 'marker: no token');
	unlike($r, qr/MARKER/, 'marker: no token, not reached');
	$r = get('/marker/', jwt($S4, {}));
	is(status_of($r), 401, 'marker: bad token');
	unlike($r, qr/MARKER/, 'marker: bad token, not reached');
	$r = get('/marker/', jwt($S1, { exp => $now - 3600 }));
	unlike($r, qr/MARKER/, 'marker: expired token, not reached');
	like(get('/marker/', $good), qr/\r\n\r\nMARKER\n\z/, 'marker: good token');

	my @log = split /\n/, $t->read_file('marker.log');
	is(scalar @log, 1, 'marker: the backend saw one request');
}

# a body is not read by bearer: onlyoffice_jwt_body_limit does not apply

{
	my $r = http_req('POST', '/bl/x', body => 'x' x 4096,
		headers => ["Authorization: Bearer $good"]);
	ok_200($r, 'bearer with a body over body_limit');
	like($r, qr/^cl=4096$/m, 'bearer with a body: the body reaches the upstream');
	check_401(http_req('POST', '/bl/x', body => 'x' x 4096), 'missing',
		'bearer with a body, no token');
}

# keepalive: one connection, tokens good and bad, with and without bodies
# (a refused request's body must be discarded, not read as the next request)

{
	my @seq = (
		[$good, 200, ''],
		['garbage', 401, 'malformed'],
		[jwt($S1, { sub => 'second' }), 200, ''],
		[undef, 401, 'missing'],
		[jwt($S1, { sub => 'third' }), 200, ''],
		[undef, 401, 'missing', "GET /p/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"],
		[jwt($S4, {}), 401, 'signature', 'x' x 5000],
		[$good, 200, '', 'y' x 3000],
		[$good, 200, ''],
	);

	my ($s, %conn);
	my $i = 0;

	for my $step (@seq) {
		my ($tok, $status, $err, $body) = @$step;
		$i++;

		my @h = defined $tok ? ("Authorization: Bearer $tok") : ();
		$s = http_req(defined $body ? 'POST' : 'GET', "/p/ka$i",
			keepalive => 1, start => 1, headers => \@h,
			defined $body ? (body => $body) : (),
			$s ? (socket => $s) : ());
		my $r = read_response($s);

		is(status_of($r), $status, "keepalive $i: $status");
		is(header_of($r, 'X-Err'), "e=$err", "keepalive $i: error '$err'");
		like($r, qr/^backend uri=\/p\/ka$i\n/m, "keepalive $i: upstream")
			if $status == 200;
		$conn{header_of($r, 'X-Conn') // 'none'} = 1;
	}

	like(join(',', keys %conn), qr/^\d+$/, 'keepalive: one connection');
	close($s) if $s;
}

# HTTP/1.0

{
	my $r = http_req('GET', '/p/x', http10 => 1,
		headers => ["Authorization: Bearer $good"]);
	like($r, qr/^HTTP\/1\.[01] 200 .*\r\n\r\nbackend /s, 'HTTP/1.0: token');

	$r = http_req('GET', '/p/x', http10 => 1);
	is(status_of($r), 401, 'HTTP/1.0: no token');
	is(header_of($r, 'WWW-Authenticate'), $CH, 'HTTP/1.0: challenge');
}

# large and binary input

{
	# no cap of the module's own: up to what large_client_header_buffers (64k) lets in
	my $big = jwt($S1, { sub => 'big', pad => 'p' x 20000 });
	cmp_ok(length($big), '>', 20000, 'a token of 20 KB');
	ok_200(get('/p/x', $big), 'token of 20 KB');
	my $huge = jwt($S1, { sub => 'huge', pad => 'p' x 48000 });
	cmp_ok(length($huge), '>', 64000, 'a token of 64,000 bytes');
	ok_200(get('/p/x', $huge), 'token of ' . length($huge) . ' bytes');
	my $forged = jwt('not the secret', { sub => 'huge', pad => 'p' x 48000 });
	check_401(get('/p/x', $forged), 'signature', 'forged token of 64,000 bytes');

	my $large = jwt($S1, { sub => 'large', pad => 'p' x 11000 });
	ok_200(get('/p/x', $large), 'token of ' . length($large) . ' bytes');

	my $r = get('/p/x', 'a' x 65536);
	like(status_of($r), qr/^(?:400|494)$/, 'header of 64 KB: nginx refuses');

	check_401(req('/p/x', headers => ["Authorization: Bearer \x01\x02\x7f\x80\xff.\xfe\x90.\x1b["]),
		'malformed', 'binary bytes in the header');
	check_401(req('/p/x', headers => ["Authorization: \xff\xfe Bearer"]),
		'missing', 'binary bytes as the scheme');
	check_401(req('/hdr/x', headers => ["AuthorizationJwt: Bearer \x80\x81\x82.\x83.\x84"]),
		'malformed', 'binary bytes in a custom header');
	check_401(req('/p/x', headers => ["Authorization: Bearer " . ("\xc3\xa9" x 100) . '.a.b']),
		'malformed', 'UTF-8 in the token');
	check_401(get('/p/x', '.' x 5000), 'malformed', 'dots only');
	check_401(get('/p/x', ('ab.' x 3000) . 'c'), 'malformed', 'many segments');
}

# refusals are logged once at info, with the reason and the client,
# never with the token

{
	my $bad = jwt($S4, { sub => 'logged' });
	get('/p/logcheck-once', $bad);

	my @lines = grep { /logcheck-once/ && /onlyoffice_jwt:/ }
		split /\n/, $t->read_file('error.log');

	is(scalar @lines, 1, 'log: one line for a refusal');
	like($lines[0] // '', qr/\[info\] .*onlyoffice_jwt: bad signature.*client: 127\.0\.0\.1/,
		'log: info, reason, client');

	for my $uri (qw{/fb/log-fb /delay/log-delay}) {
		is(scalar(grep { /\Q$uri\E/ && /onlyoffice_jwt:/ }
			split /\n/, $t->read_file('error.log')), 1,
			"log: one line for a refusal, $uri");
	}

	my ($sig) = $bad =~ /\.([^.]+)\z/;
	my @module = grep { /onlyoffice_jwt/ && !/\[debug\]/ }
		split /\n/, $t->read_file('error.log');
	is(scalar(grep { index($_, $sig) >= 0 || index($_, $S1) >= 0 } @module), 0,
		'log: no token or secret in module lines');
}

###############################################################################

# a GET to port 8080, or to port => N (a real port, of port())
sub req {
	my ($uri, %o) = @_;
	my $port = delete $o{port};
	return http_req('GET', $uri, %o, $port ? (PeerAddr => "127.0.0.1:$port") : ());
}

sub get {
	my ($uri, $token, %o) = @_;
	return req($uri, %o,
		headers => [ defined $token ? ("Authorization: Bearer $token") : () ]);
}

sub check_401 {
	my ($r, $err, $name) = @_;

	is(status_of($r), 401, "$name: 401");
	is(all_headers($r, 'WWW-Authenticate'),
		$err eq 'missing' ? $CH : $CH_INVALID, "$name: challenge");
	is(header_of($r, 'X-Err'), "e=$err", "$name: \$onlyoffice_jwt_error $err");
}

sub check_403 {
	my ($r, $err, $name) = @_;

	is(status_of($r), 403, "$name: 403");
	is(all_headers($r, 'WWW-Authenticate'), '', "$name: no challenge");
	is(header_of($r, 'X-Err'), "e=$err", "$name: \$onlyoffice_jwt_error $err");
}

sub ok_200 {
	my ($r, $name) = @_;
	like($r // '', qr/^HTTP\/1\.1 200 .*\r\n\r\nbackend uri=/s, "$name: 200");
}

sub all_headers {
	my ($r, $name) = @_;
	return '' unless defined $r;
	my ($head) = split /\r\n\r\n/, $r, 2;
	return join ' + ', $head =~ /^\Q$name\E:\s*(.*?)\r?$/mgi;
}

# the variables the backend echoed
sub vars {
	my ($r) = @_;
	my ($line) = ($r // '') =~ /^vars=(.*)$/m;
	my %v;
	for (split /\|/, $line // '') {
		my ($k, $v) = split /=/, $_, 2;
		$v{$k} = $v // '';
	}
	return \%v;
}

# the claims segment of a token, decoded
sub payload_of {
	my ($token) = @_;
	my $c = (split /\./, $token)[1];
	$c =~ tr{-_}{+/};
	$c .= '=' x ((4 - length($c) % 4) % 4);
	require MIME::Base64;
	return MIME::Base64::decode_base64($c);
}

# the last character of an unpadded base64url text with one of its unused
# low bits set (the length must not be a multiple of 4)
sub noncanonical {
	my ($b64) = @_;
	my $abc = join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';
	die "no trailing bits\n" unless length($b64) % 4;
	my $i = index($abc, substr($b64, -1));
	return substr($b64, 0, -1) . substr($abc, $i | 1, 1);
}

###############################################################################
