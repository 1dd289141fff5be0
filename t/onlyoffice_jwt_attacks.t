#!/usr/bin/perl

# (C) ngx-onlyoffice-jwt tests
#
# The attack vectors of jwt-anchors.md section 7 that apply to HMAC tokens, each
# through nginx as a named case with the status it must get: alg "none" in every
# casing, the algorithm swapped after signing, stripped and foreign signatures,
# tampering, crit, key material in the header (jwk, jku, x5u, x5c, kid), base64url
# strictness (padding, whitespace, standard alphabet, trailing bits), duplicate
# members, non-object JSON, time claims of the wrong type, huge numbers, segment
# counts, empty tokens, Bearer scheme variants, body and header tokens with either
# one bad, and requests too big for nginx's header buffers or the body limit.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx

use Digest::SHA qw/ hmac_sha256 /;

###############################################################################

my $SECRET = 'attack-suite-secret-0123456789abcdefghij';
my $OTHER = 'attack-suite-other-0123456789abcdefghijk';
my $ATTACKER = 'attacker-chosen-key';

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(129)
	->write_file_expand('nginx.conf', http_conf(server_conf(8080, <<"EOF"),
        # small, so that an oversized header is easy to send
        large_client_header_buffers 2 1k;

        onlyoffice_jwt_secret $SECRET;
        add_header X-Err "e=\$onlyoffice_jwt_error" always;

        location /bearer {
            onlyoffice_jwt bearer;
            proxy_pass http://127.0.0.1:8081;
        }

        location /all-algs {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_algorithms HS256 HS384 HS512;
            proxy_pass http://127.0.0.1:8081;
        }

        location /custom-header {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_header X-Jwt;
            proxy_pass http://127.0.0.1:8081;
        }

        location /command {
            onlyoffice_jwt command;
            proxy_pass http://127.0.0.1:8081;
        }

        location /onlyoffice/editor-callback/ {
            onlyoffice_jwt callback;
            proxy_pass http://127.0.0.1:8081;
        }

        location /small/editor-callback/ {
            onlyoffice_jwt callback;
            onlyoffice_jwt_body_limit 1k;
            proxy_pass http://127.0.0.1:8081;
        }
EOF
	server_conf(8081, <<'EOF')));
        location / {
            return 200 "backend";
        }
EOF

$t->run();

###############################################################################

my $H256 = '{"alg":"HS256","typ":"JWT"}';
my $CLAIMS = '{"sub":"alice","c":"info","key":"Khirz6zTPdfd7"}';

my $good = jwt_raw($SECRET, $H256, $CLAIMS);
my ($gh, $gc, $gs) = split /\./, $good;

# the MAC of an exact signing input
sub sign_input {
	my ($input, $secret) = @_;
	return "$input." . b64url(hmac_sha256($input, $secret // $SECRET));
}

# status of a GET with the given header lines
sub get {
	my ($uri, @headers) = @_;
	return status_of(http_req('GET', $uri, headers => \@headers));
}

sub bearer {
	my ($token, $uri) = @_;
	return get($uri // '/bearer', "Authorization: Bearer $token");
}

sub post {
	my ($uri, $body, @headers) = @_;
	return status_of(http_req('POST', $uri, body => $body,
		headers => [ 'Content-Type: application/json', @headers ]));
}

###############################################################################

# the baseline

is(bearer($good), 200, 'attack baseline: good token');

# A.1 alg none, in every casing, with and without a signature

for my $name (qw/ none None NONE nOnE /) {
	my $h = b64url(qq({"alg":"$name","typ":"JWT"}));
	is(bearer("$h.$gc."), 401, "attack: alg $name, empty signature");
	is(bearer("$h.$gc.$gs"), 401, "attack: alg $name, leftover signature");
	is(bearer(sign_input("$h.$gc")), 401, "attack: alg $name, MAC'd with the secret");
}

# A.5 algorithm swapped after signing

my $h512 = b64url('{"alg":"HS512","typ":"JWT"}');
is(bearer("$h512.$gc.$gs", '/all-algs'), 401, 'attack: alg HS256 -> HS512 after signing');
is(bearer(jwt_raw($SECRET, '{"alg":"HS256"}', $CLAIMS, 'HS512'), '/all-algs'), 401,
	'attack: HS512 MAC under an HS256 header');
is(bearer(jwt($SECRET, {}, alg => 'HS384')), 401, 'attack: HS384 not allowed');
is(bearer(jwt($SECRET, {}, alg => 'HS384'), '/all-algs'), 200, 'attack baseline: HS384 allowed');
is(bearer(jwt_raw($SECRET, '{"alg":"hs256"}', $CLAIMS)), 401, 'attack: alg lowercase hs256');
is(bearer(jwt_raw($SECRET, '{"alg":"RS256"}', $CLAIMS)), 401, 'attack: alg RS256');
is(bearer(jwt_raw($SECRET, '{"typ":"JWT"}', $CLAIMS)), 401, 'attack: no alg');

# A.2, A.3 signature stripped, from another secret, blank secret

is(bearer("$gh.$gc."), 401, 'attack: signature stripped (empty third segment)');
is(bearer("$gh.$gc"), 401, 'attack: signature stripped (two segments)');
is(bearer(jwt_raw($OTHER, $H256, $CLAIMS)), 401, 'attack: signature from another secret');
is(bearer(jwt_raw('', $H256, $CLAIMS)), 401, 'attack: blank HMAC secret');
is(bearer("$gh.$gc." . b64url("\0" x 32)), 401, 'attack: all-zero signature');
is(bearer("$gh.$gc." . substr($gs, 0, 42)), 401, 'attack: truncated signature');

# tampered header or claims

is(bearer(b64url('{"alg":"HS256","typ":"JWS"}') . ".$gc.$gs"), 401, 'attack: tampered header');
is(bearer("$gh." . b64url('{"sub":"admin","c":"info","key":"Khirz6zTPdfd7"}') . ".$gs"), 401,
	'attack: tampered claims');

# B.15 crit

is(bearer(jwt_raw($SECRET, '{"alg":"HS256","crit":["exp"]}', $CLAIMS)), 401, 'attack: crit ["exp"]');
is(bearer(jwt_raw($SECRET, '{"alg":"HS256","crit":["unknown"]}', $CLAIMS)), 401,
	'attack: crit ["unknown"]');
is(bearer(jwt_raw($SECRET, '{"alg":"HS256","crit":[]}', $CLAIMS)), 401, 'attack: crit []');

# B.11-14 key material in the header: never used

my $jwk = '{"alg":"HS256","jwk":{"kty":"oct","k":"' . b64url($ATTACKER) . '"}}';
is(bearer(jwt_raw($ATTACKER, $jwk, $CLAIMS)), 401, 'attack: embedded jwk with the attacker key');
is(bearer(jwt_raw($ATTACKER, '{"alg":"HS256","jku":"http://127.0.0.1:8081/jwks"}', $CLAIMS)),
	401, 'attack: jku to an attacker URL');
is(bearer(jwt_raw($ATTACKER, '{"alg":"HS256","x5u":"http://127.0.0.1:8081/x.pem"}', $CLAIMS)),
	401, 'attack: x5u to an attacker URL');
is(bearer(jwt_raw($ATTACKER, '{"alg":"HS256","x5c":["MIIBIjANBgkq"]}', $CLAIMS)), 401,
	'attack: self-signed x5c');
is(bearer(jwt_raw('', '{"alg":"HS256","kid":"../../../../dev/null"}', $CLAIMS)), 401,
	'attack: kid path traversal to /dev/null');
is(bearer(jwt_raw($ATTACKER, q({"alg":"HS256","kid":"x' UNION SELECT 'attacker-chosen-key';--"}),
	$CLAIMS)), 401, 'attack: kid SQL injection');
is(bearer(jwt_raw('', '{"alg":"HS256","kid":"|sleep 10"}', $CLAIMS)), 401,
	'attack: kid shell injection');
is(bearer(jwt_raw($ATTACKER, '{"alg":"HS256","kid":17}', $CLAIMS)), 401, 'attack: kid not a string');
is(bearer(jwt_raw($SECRET, '{"alg":"HS256","kid":"../../etc/passwd"}', $CLAIMS)), 200,
	'attack baseline: a kid is only carried along');

# C.18 base64url strictness

is(bearer("$gh=.$gc.$gs"), 401, 'attack: padding on the header');
is(bearer("$gh.$gc.$gs="), 401, 'attack: padding on the signature');
is(bearer("$gh.$gc.$gs=="), 401, 'attack: double padding on the signature');
is(bearer("$gh .$gc.$gs"), 401, 'attack: space inside the token');
is(bearer("$gh.\t$gc.$gs"), 401, 'attack: tab inside the token');
is(bearer("$gh.$gc%2E$gs"), 401, 'attack: percent-encoded dot');
is(bearer("$gh?.$gc.$gs"), 401, 'attack: question mark in the header segment');

# the standard alphabet: the same octets spelled with + and /

{
	my ($std, $i) = (undef, 0);
	while (!defined $std && $i < 500) {
		my $tok = jwt_raw($SECRET, $H256, qq({"sub":"alice","i":$i}));
		my ($h, $c, $s) = split /\./, $tok;
		if ($c =~ /[-_]/ || $s =~ /[-_]/) {
			(my $c2 = $c) =~ tr{-_}{+/};
			(my $s2 = $s) =~ tr{-_}{+/};
			$std = "$h.$c2.$s2";
		}
		$i++;
	}
	is(bearer($std), 401, 'attack: standard base64 alphabet');
}

# non-canonical trailing bits: the same octets, another spelling, MAC'd as sent

{
	my @alphabet = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_');
	my %index = map { $alphabet[$_] => $_ } 0 .. 63;

	my $claims = '{"sub":"alice","c":"info"}';		# 26 bytes: 2 unused bits
	my $c = b64url($claims);
	my $last = substr($c, -1);
	my $odd = substr($c, 0, -1) . $alphabet[$index{$last} | 1];

	is(bearer(sign_input("$gh.$c")), 200, 'attack baseline: canonical claims');
	is(bearer(sign_input("$gh.$odd")), 401, 'attack: non-canonical trailing bits in claims');

	my $sig_last = substr($gs, -1);
	my $odd_sig = substr($gs, 0, -1) . $alphabet[$index{$sig_last} | 1];
	is(bearer("$gh.$gc.$odd_sig"), 401, 'attack: non-canonical trailing bits in signature');
}

# C.22 duplicate members

is(bearer(jwt_raw($SECRET, '{"alg":"HS256","alg":"none"}', $CLAIMS)), 401,
	'attack: duplicate alg in the header');
is(bearer(jwt_raw($SECRET, '{"alg":"HS256","\u0061lg":"HS256"}', $CLAIMS)), 401,
	'attack: duplicate alg in the header, escaped');
is(bearer(jwt_raw($SECRET, $H256, '{"sub":"a","exp":1,"exp":9999999999}')), 401,
	'attack: duplicate exp in the claims');
is(bearer(jwt_raw($SECRET, $H256, '{"sub":"a","sub":"admin"}')), 401,
	'attack: duplicate sub in the claims');

# C.21 header or claims not a JSON object

is(bearer(jwt_raw($SECRET, '["alg","HS256"]', $CLAIMS)), 401, 'attack: header is an array');
is(bearer(jwt_raw($SECRET, '"{\"alg\":\"HS256\"}"', $CLAIMS)), 401, 'attack: header is a string');
is(bearer(jwt_raw($SECRET, $H256, '[]')), 401, 'attack: claims are an array');
is(bearer(jwt_raw($SECRET, $H256, '123')), 401, 'attack: claims are a number');
is(bearer(jwt_raw($SECRET, $H256, 'null')), 401, 'attack: claims are null');
is(bearer(jwt_raw($SECRET, $H256, "\xef\xbb\xbf{}")), 401, 'attack: claims with a BOM');
is(bearer(jwt_raw($SECRET, $H256, '{"sub":"a"} x')), 401, 'attack: claims with trailing garbage');
is(bearer(jwt_raw($SECRET, $H256, '{"sub":NaN}')), 401, 'attack: claims with NaN');
is(bearer(jwt_raw($SECRET, $H256, '{"a":' . ('[' x 300) . (']' x 300) . '}')), 401,
	'attack: claims nested 300 deep');

# D.25-27 time claims of the wrong type, and huge numbers

is(bearer(jwt_raw($SECRET, $H256, '{"exp":"4133862000"}')), 401, 'attack: exp a string');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":true}')), 401, 'attack: exp true');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":null}')), 401, 'attack: exp null');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":[]}')), 401, 'attack: exp an array');
is(bearer(jwt_raw($SECRET, $H256, '{"nbf":"0"}')), 401, 'attack: nbf a string');
is(bearer(jwt_raw($SECRET, $H256, '{"nbf":{}}')), 401, 'attack: nbf an object');
is(bearer(jwt_raw($SECRET, $H256, '{"iat":false}')), 401, 'attack: iat false');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":1e400}')), 401, 'attack: exp 1e400');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":-1e300}')), 401, 'attack: exp -1e300');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":-9223372036854775809}')), 401,
	'attack: exp below i64');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":-0}')), 401, 'attack: exp -0');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":9999999999999999999999}')), 200,
	'attack: exp 9999999999999999999999 is far future');
is(bearer(jwt_raw($SECRET, $H256, '{"nbf":9999999999999999999999}')), 401,
	'attack: nbf 9999999999999999999999');
is(bearer(jwt_raw($SECRET, $H256, '{"iat":1e300}')), 401, 'attack: iat 1e300');
is(bearer(jwt_raw($SECRET, $H256, '{"exp":' . (time() - 120) . '}')), 401, 'attack: expired');

# C.19 segment counts, empty token

is(bearer("$gh.$gc.$gs.$gs"), 401, 'attack: four segments');
is(bearer("$gh.$gc.$gs."), 401, 'attack: trailing dot');
is(bearer(".$gh.$gc.$gs"), 401, 'attack: leading dot');
is(bearer("$gh..$gs"), 401, 'attack: empty claims segment');
is(bearer($gh), 401, 'attack: one segment');
is(bearer('..'), 401, 'attack: only dots');
is(get('/bearer', 'Authorization: Bearer '), 401, 'attack: empty token');
is(get('/bearer', 'Authorization:'), 401, 'attack: empty Authorization header');
is(get('/bearer'), 401, 'attack: no token');

# E.32 Bearer scheme variants

is(get('/bearer', "Authorization: bearer $good"), 200, 'attack: scheme bearer');
is(get('/bearer', "Authorization: BEARER $good"), 200, 'attack: scheme BEARER');
is(get('/bearer', "Authorization: bEaReR $good"), 200, 'attack: scheme bEaReR');
is(get('/bearer', "Authorization: Bearer  $good"), 200, 'attack: two spaces after Bearer');
is(get('/bearer', "Authorization: Bearer\t$good"), 200, 'attack: tab after Bearer');
is(get('/bearer', "Authorization: Bearer$good"), 401, 'attack: no space after Bearer');
is(get('/bearer', "Authorization: Basic $good"), 401, 'attack: Basic scheme');
is(get('/bearer', "Authorization: $good"), 401, 'attack: no scheme');
is(get('/bearer', "Authorization: Bearer $good $good"), 401, 'attack: two tokens');
is(get('/bearer', "Authorization: Bearer $good,"), 401, 'attack: trailing comma');
is(get('/bearer', "Authorization: Bearer \"$good\""), 401, 'attack: quoted token');

# E.33 duplicate headers: nginx refuses a second Authorization itself

is(get('/bearer', "Authorization: Bearer $good", "Authorization: Bearer $good"), 400,
	'attack: duplicate Authorization header');
is(get('/custom-header', "X-Jwt: Bearer $good", "X-Jwt: Bearer $good"), 401,
	'attack: duplicate custom token header');
is(get('/custom-header', "X-Jwt: Bearer $good"), 200, 'attack baseline: custom token header');

# E.24 an oversized header: nginx's own 400 (494 internally)

{
	my $big = jwt_raw($SECRET, $H256, '{"sub":"' . ('x' x 2000) . '"}');
	my $s = bearer($big);
	ok($s == 400 || $s == 494, "attack: oversized Authorization header ($s)");
}

# body tokens (command): either token bad

my $cmd = jwt_raw($SECRET, $H256, '{"c":"info","key":"Khirz6zTPdfd7"}');
my $cmd_hdr = jwt_raw($SECRET, $H256, '{"payload":{"c":"info","key":"Khirz6zTPdfd7"}}');
my $forged_hdr = jwt_raw($OTHER, $H256, '{"payload":{"c":"info","key":"Khirz6zTPdfd7"}}');
my $forged_cmd = jwt_raw($OTHER, $H256, '{"c":"info","key":"Khirz6zTPdfd7"}');
my $none_cmd = b64url('{"alg":"none"}') . '.' . b64url('{"c":"drop","key":"k"}') . '.';

is(post('/command', qq({"token":"$cmd"})), 200, 'attack baseline: body token');
is(post('/command', qq({"token":"$cmd"}), "Authorization: Bearer $cmd_hdr"), 200,
	'attack baseline: body and header tokens');
is(post('/command', qq({"token":"$cmd"}), "Authorization: Bearer $forged_hdr"), 401,
	'attack: good body token, forged header token');
is(post('/command', qq({"token":"$forged_cmd"}), "Authorization: Bearer $cmd_hdr"), 401,
	'attack: forged body token, good header token');
is(post('/command', qq({"token":"$none_cmd"}), "Authorization: Bearer $cmd_hdr"), 401,
	'attack: alg none body token, good header token');
is(post('/command', qq({"token":"$cmd"}), "Authorization: Bearer $none_cmd"), 401,
	'attack: good body token, alg none header token');
is(status_of(http_req('POST', "/command?token=$cmd", body => 'c=info',
	headers => [ "Authorization: Bearer $forged_hdr" ])), 401,
	'attack: good query token, forged header token');
is(post('/command', '{"token":true}', "Authorization: Bearer $cmd_hdr"), 401,
	'attack: body token true');
is(post('/command', '{"token":["a"]}', "Authorization: Bearer $cmd_hdr"), 401,
	'attack: body token an array');
is(post('/command', qq({"token":"$cmd","token":"$forged_cmd"})), 400,
	'attack: body token twice');
is(post('/command', qq({"token":"$cmd","tok\\u0065n":"x"})), 400,
	'attack: body token twice, escaped');
is(post('/command', qq({"token":"$cmd","x":"\xff"})), 400, 'attack: body with invalid UTF-8');
is(post('/command', qq({"token":"$cmd"}) . ' x'), 400, 'attack: body with trailing garbage');
is(post('/command', qq({"token":" $cmd"})), 401, 'attack: body token with a leading space');
is(post('/command', '{"token":""}'), 401, 'attack: empty body token');

# callbacks: either token bad, body altered, too big

my $now = time();
my $fields = '"key":"a1b2c3d4e5f6a7b8c9d0","status":2,'
	. '"url":"https://ds.example/cache/files/a1b2_4711/output.docx"';
my $cb_tok = jwt_raw($SECRET, $H256, "{$fields,\"iat\":$now,\"exp\":" . ($now + 300) . '}');
my $cb_hdr = jwt_raw($SECRET, $H256,
	"{\"payload\":{$fields},\"iat\":$now,\"exp\":" . ($now + 300) . '}');
my $cb_body = "{$fields,\"token\":\"$cb_tok\"}";
my $CB = '/onlyoffice/editor-callback/?repo_id=r&file_path=/a.docx';

is(post($CB, $cb_body, "Authorization: Bearer $cb_hdr"), 200, 'attack baseline: callback');
is(post($CB, $cb_body, 'Authorization: Bearer '
	. jwt_raw($OTHER, $H256, "{\"payload\":{$fields},\"exp\":" . ($now + 300) . '}')), 401,
	'attack: callback, good body token, forged header token');
is(post($CB, $cb_body =~ s/\Q$cb_tok\E/jwt_raw($OTHER, $H256, "{$fields,\"exp\":" . ($now + 300) . '}')/er,
	"Authorization: Bearer $cb_hdr"), 401,
	'attack: callback, forged body token, good header token');
is(post($CB, $cb_body =~ s/output\.docx/evil.docx/r), 403, 'attack: callback body altered');
is(post($CB, "{$fields}" =~ s/"status":2/"status":6/r, "Authorization: Bearer $cb_hdr"), 403,
	'attack: callback body altered, header token');
is(post($CB, "{$fields,\"token\":\"$cb_tok\",\"extra\":1}"), 403,
	'attack: callback body with an unsigned member');
is(post($CB, "{$fields}"), 401, 'attack: callback without a token');
is(post($CB, $cb_body =~ s/\Q$cb_tok\E/$none_cmd/r), 401, 'attack: callback alg none');

{
	my $big = "{$fields,\"pad\":\"" . ('x' x 2048) . "\",\"token\":\"$cb_tok\"}";
	my $small = '/small/editor-callback/';
	is(post($small, $cb_body), 200, 'attack baseline: callback under the body limit');
	is(post($small, $big), 413, 'attack: body over the limit (Content-Length)');
	is(status_of(http_req('POST', $small, body => $big, chunked => 1,
		pieces => [ substr($big, 0, 700), substr($big, 700, 700), substr($big, 1400) ],
		headers => [ 'Content-Type: application/json' ])), 413,
		'attack: body over the limit (chunked)');
}

###############################################################################
