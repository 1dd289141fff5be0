#!/usr/bin/perl

# (C) ngx-onlyoffice-jwt tests
#
# The findings of the security review, each through nginx, with genuine traffic beside
# them that must keep working. Every token here is signed by PyJWT or by python's
# hmac/hashlib (t/lib/jwt_tool.py "hmac" and "hmac-raw"), not by the Perl helpers.
#
#  1. No variable yields a control character (0x00-0x1F, 0x7F): $jwt_claim_NAME and
#     $jwt_header_NAME render a string with one as its JSON text ("a\r\nb"), and any other
#     string as it is (U+2028 as its UTF-8 bytes); $jwt_payload has its raw TAB, CR and LF
#     (whitespace between tokens) as spaces, DEL as \u007f. Checked in the header lines
#     the upstream got (proxy_set_header; the echo backend's hdr= lines) and in the
#     response head (add_header): no header split, none injected.
#  3. Browser tokens are refused at /command, /converter and /docbuilder (403 claims):
#     "builder" takes only key, url, argument, async (flat, or all under "payload") and
#     the registered claims; "command" only the Document Server's commands as "c".
#  4. "download" compares payload.url's path and query with the request's after RFC 3986
#     6.2.2 normalisation: %26 is not &, %2F is not /; %7E is ~, %2f is %2F, raw UTF-8 is
#     its %XX.
#  5. The callback "history" trim: a body history {} against a body token's non-empty
#     history only when the header token's payload history is {} too; a body token's {}
#     history matches only {}.
#  6. The claims of a refused token are not readable (error_page after a failed
#     onlyoffice_jwt_require).
#  7. onlyoffice_jwt_token $arg_access_token / $cookie_jwt: two arguments or cookies of
#     that name (names compared as nginx does, ignoring case) are ambiguous: 401 malformed.
#  8. The body profiles refuse a Content-Encoding other than identity: 415 encoding.
#
# The browser tokens of finding 3 (shapes of the ONLYOFFICE API documentation and of
# seahub; each signed with iat and exp besides, and posted as {"token": ...}):
#
#     editor config       {"document":{"fileType":"docx","key":...,"title":...,"url":...,
#                          "permissions":{...}},"documentType":"word",
#                          "editorConfig":{"callbackUrl":...,"user":{...}}}
#     setHistoryData      {"changesUrl":...,"fileType":"docx","key":...,
#                          "previous":{"fileType":"docx","key":...,"url":...},
#                          "url":...,"version":2}
#     setRequestedDocument, setRevisedFile, insertDocument
#                         {"c":"compare","fileType":"docx","url":...}
#     insertImage (old)   {"c":"add","fileType":"png","url":...}
#     insertImage (new)   {"c":"add","images":[{"fileType":"png","url":...}]}
#     setMailMergeRecipients
#                         {"fileType":"csv","url":...}
#     setReferenceData (seahub's reference data)
#                         {"fileType":"xlsx","key":...,"path":"a.xlsx",
#                          "referenceData":{"fileKey":...,"instanceId":...},"url":...}
#     setRequestedSpreadsheet
#                         {"fileType":"xlsx","path":...,"referenceData":{...},
#                          "title":...,"url":...}
#     a builder token with an extra member
#                         {"async":false,"url":...,"userdata":...}

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

use IO::Compress::Deflate qw/ deflate $DeflateError /;
use IO::Compress::Gzip qw/ gzip $GzipError /;
use JSON::PP;

###############################################################################

my $SECRET = 'review-0123456789abcdef0123456789abcdef-secret';
my $OTHER = 'review-0123456789abcdef0123456789abcdef-other';

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(130)
	->write_file_expand('nginx.conf', http_conf(server_conf(8080, <<"EOF")));
        onlyoffice_jwt_secret $SECRET;
        add_header X-Err "e=\$onlyoffice_jwt_error" always;

        # 1: the variables, to the upstream and in the response
        location /vars {
            onlyoffice_jwt bearer;
            proxy_set_header X-User \$jwt_claim_sub;
            proxy_set_header X-Kid \$jwt_header_kid;
            proxy_set_header X-Obj \$jwt_claim_obj;
            proxy_set_header X-Payload \$jwt_payload;
            add_header X-Sub \$jwt_claim_sub;
            add_header X-Err "e=\$onlyoffice_jwt_error" always;
            proxy_pass http://127.0.0.1:8081;
        }

        # 3, 8: the Document Server's services (and its other paths, unchecked)
        location / {
            onlyoffice_jwt documentserver;
            proxy_pass http://127.0.0.1:8081;
        }

        # 4
        location /dl/ {
            onlyoffice_jwt download;
            proxy_pass http://127.0.0.1:8081;
        }

        # 5, 8
        location /onlyoffice/editor-callback/ {
            onlyoffice_jwt callback;
            proxy_pass http://127.0.0.1:8081;
        }

        # 6
        location /admin {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_require \$jwt_claim_admin;
            error_page 403 = \@refused;
            proxy_pass http://127.0.0.1:8081;
        }

        location \@refused {
            return 403 "sub=[\$jwt_claim_sub] err=[\$onlyoffice_jwt_error]";
        }

        # 7
        location /arg {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_token \$arg_access_token;
            proxy_pass http://127.0.0.1:8081;
        }

        location /cookie {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_token \$cookie_jwt;
            proxy_pass http://127.0.0.1:8081;
        }

        # nginx lowercases variable names: these read access_token and jwt too
        location /ARG {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_token \$ARG_access_token;
            proxy_pass http://127.0.0.1:8081;
        }

        location /COOKIE {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_token \${Cookie_jwt};
            proxy_pass http://127.0.0.1:8081;
        }

        location /compound {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_token \$arg_a\$arg_b;
            proxy_pass http://127.0.0.1:8081;
        }

        # 8
        location /bearer {
            onlyoffice_jwt bearer;
            proxy_pass http://127.0.0.1:8081;
        }
EOF

run_with_echo_backend($t);

###############################################################################

my $now = time();
my $TIMES = { iat => $now, exp => $now + 300 };

my $ascii = JSON::PP->new->ascii->canonical;

# jwt_tool.py's output without the newline it ends with
sub tool {
	my $out = key_tool(@_);
	$out =~ s/\s+\z//;
	return $out;
}

# PyJWT HS256 over a JSON text (with the secret given, else $SECRET), and an optional
# JOSE header (a JSON text)
sub pyjwt {
	my ($claims, %opts) = @_;
	return tool('hmac', 'HS256', $opts{secret} // $SECRET, $claims,
		defined $opts{header} ? $opts{header} : ());
}

# PyJWT HS256 over a hash of claims, with iat and exp
sub signed {
	my ($claims, %opts) = @_;
	return pyjwt($ascii->encode({ %$TIMES, %$claims }), %opts);
}

# HS256 over the exact claims text (python's hmac)
sub signed_raw {
	my ($text) = @_;
	return tool('hmac-raw', 'HS256', $SECRET, $text);
}

# every byte outside a space and 0x21-0x7E as \xNN, as the echo backend writes hdr= lines
sub esc {
	(my $s = shift) =~ s/([^\x20-\x7e])/sprintf('\\x%02X', ord $1)/ge;
	return $s;
}

# the header lines named $name the upstream got (its hdr= lines), joined with " | "
sub upstream {
	my ($r, $name) = @_;
	my @lines = map { /^hdr=(.*)\z/ ? $1 : () } split /\x0a/, body_of($r) // '';
	return join ' | ', grep { /^\Q$name\E:/i } @lines;
}

# the response header lines named $name (split at LF, a CR before it dropped, escaped as
# esc() does), joined with " | "
sub response {
	my ($r, $name) = @_;
	my ($head) = split /\x0d\x0a\x0d\x0a/, $r // '', 2;
	my (undef, @lines) = split /\x0a/, $head // '';
	s/\x0d\z// for @lines;
	return join ' | ', grep { /^\Q$name\E:/i } map { esc($_) } @lines;
}

# "status e=$onlyoffice_jwt_error"
sub verdict {
	my ($r) = @_;
	return status_of($r) . ' ' . (header_of($r, 'X-Err') // '-');
}

sub get {
	my ($uri, @headers) = @_;
	return http_req('GET', $uri, headers => \@headers);
}

sub post {
	my ($uri, $body, @headers) = @_;
	return http_req('POST', $uri, body => $body,
		headers => [ 'Content-Type: application/json', @headers ]);
}

###############################################################################

# 1. the variables: no control character reaches a header

{
	for my $case (
		[ 'sub with CRLF', "alice\r\nX-Injected: yes", '"alice\r\nX-Injected: yes"', 1 ],
		[ 'sub with LF', "alice\nX-Injected: yes", '"alice\nX-Injected: yes"', 1 ],
		[ 'sub with NUL', "a\x00b", '"a\u0000b"' ],
		[ 'sub with TAB', "a\tb", '"a\tb"' ],
		[ 'sub with DEL', "a\x7fb", '"a\u007fb"' ],
		[ 'sub with U+2028', "a\x{2028}b", "a\xe2\x80\xa8b" ],
		[ 'plain sub', 'alice', 'alice' ],
	) {
		my ($name, $sub, $want, $injection) = @$case;
		my $r = get('/vars', 'Authorization: Bearer ' . signed({ sub => $sub }));

		is(upstream($r, 'X-User'), 'X-User: ' . esc($want),
			"vars: $name: the upstream got one X-User line, " . esc($want));
		is(response($r, 'X-Sub'), 'X-Sub: ' . esc($want),
			"vars: $name: one X-Sub response line, " . esc($want));

		next unless $injection;

		is(upstream($r, 'X-Injected'), '', "vars: $name: no header injected upstream");
		is(response($r, 'X-Injected'), '', "vars: $name: no header injected in the response");
	}

	my $tok = signed({ sub => 'kid' }, header => '{"kid":"k1\r\nX-Injected: yes"}');
	my $r = get('/vars', "Authorization: Bearer $tok");
	is(upstream($r, 'X-Kid'), 'X-Kid: "k1\r\nX-Injected: yes"',
		'vars: $jwt_header_kid with CRLF: one X-Kid line, its JSON text');
	is(upstream($r, 'X-Injected'), '', 'vars: $jwt_header_kid with CRLF: no header injected');

	# non-string claims: compact JSON, as before
	$r = get('/vars', 'Authorization: Bearer ' . signed({ obj => { x => "a\r\nb" } }));
	is(upstream($r, 'X-Obj'), 'X-Obj: {"x":"a\r\nb"}',
		'vars: an object claim: its compact JSON');
	$r = get('/vars', 'Authorization: Bearer ' . signed({ obj => { x => "a\x7fb" } }));
	is(upstream($r, 'X-Obj'), 'X-Obj: {"x":"a\u007fb"}',
		'vars: an object claim holding DEL: compact JSON with \u007f');

	# $jwt_payload: the signed text, raw TAB, CR, LF as spaces, DEL as \u007f
	my $text = "{\r\n\t\"sub\": \"alice\",\r\n\t\"note\": \"x\x7fy\",\r\n\t\"exp\": "
		. ($now + 300) . "\r\n}";
	(my $want = $text) =~ tr/\t\r\n/   /;
	$want =~ s/\x7f/\\u007f/g;
	$r = get('/vars', 'Authorization: Bearer ' . signed_raw($text));
	is(upstream($r, 'X-Payload'), "X-Payload: $want",
		'vars: $jwt_payload with CRLF and TAB whitespace, DEL: one line, spaces, \u007f');

	my $compact = '{"sub":"alice","n":[1,2],"exp":' . ($now + 300) . '}';
	$r = get('/vars', 'Authorization: Bearer ' . signed_raw($compact));
	is(upstream($r, 'X-Payload'), "X-Payload: $compact",
		'vars: $jwt_payload of compact JSON: the text as signed');
}

###############################################################################

# 3. browser tokens at the services

{
	my $DOC = 'https://example.com/url-to-example-document.docx';
	my $XLSX = 'https://example.com/url-to-example-document.xlsx';
	my $PNG = 'https://example.com/url-to-example-image.png';
	my $REF = ds_obj(fileKey => 'BCFA2CED', instanceId => 'https://example.com');
	my $SCRIPT = 'http://x/script.docbuilder';

	my @browser = (
		[ 'editor config', ds_obj(
			document => ds_obj(fileType => 'docx', key => 'Khirz6zTPdfd7',
				title => 'Example Document Title.docx', url => $DOC,
				permissions => ds_obj(edit => JSON::PP::true)),
			documentType => 'word',
			editorConfig => ds_obj(callbackUrl => 'https://example.com/url-to-callback.ashx',
				user => ds_obj(id => '78e1e841', name => 'Smith'))) ],
		[ 'setHistoryData', ds_obj(
			changesUrl => 'https://example.com/url-to-changes.zip', fileType => 'docx',
			key => 'Khirz6zTPdfd7',
			previous => ds_obj(fileType => 'docx', key => 'af86C7e71Ca8',
				url => 'https://example.com/url-to-the-previous-version.docx'),
			url => $DOC, version => 2) ],
		[ 'setRequestedDocument (compare)',
			ds_obj(c => 'compare', fileType => 'docx', url => $DOC) ],
		[ 'insertImage (old)', ds_obj(c => 'add', fileType => 'png', url => $PNG) ],
		[ 'insertImage (new)',
			ds_obj(c => 'add', images => [ ds_obj(fileType => 'png', url => $PNG) ]) ],
		[ 'setMailMergeRecipients', ds_obj(fileType => 'csv',
			url => 'https://example.com/url-to-example-recipients.csv') ],
		[ 'setReferenceData', ds_obj(fileType => 'xlsx', key => 'Khirz6zTPdfd7',
			path => 'a.xlsx', referenceData => $REF, url => $XLSX) ],
		[ 'setRequestedSpreadsheet', ds_obj(fileType => 'xlsx', path => 'sample.xlsx',
			referenceData => $REF, title => 'sample.xlsx', url => $XLSX) ],
		[ 'builder token with an extra member',
			ds_obj(async => JSON::PP::false, url => $SCRIPT, userdata => 'x') ],
	);

	my $with_times = sub { ds_obj(@{$_[0]}, iat => $now, exp => $now + 300) };

	for my $shape (@browser) {
		my ($name, $claims) = @$shape;
		my $tok = pyjwt(ds_json($with_times->($claims)));
		for my $uri (qw{ /command /converter /docbuilder }) {
			is(verdict(post($uri, ds_json(ds_obj(token => $tok)))), '403 e=claims',
				"browser token $name at $uri: 403 claims");
		}
	}

	# a builder header token with an extra member under payload, the JSON body
	{
		my $params = ds_obj(async => JSON::PP::false, url => $SCRIPT, fileType => 'docx');
		my $tok = pyjwt(ds_json(ds_obj(payload => $params, iat => $now, exp => $now + 300)));
		is(verdict(post('/docbuilder', ds_json($params), "Authorization: Bearer $tok")),
			'403 e=claims', 'builder header token with an extra member in payload: 403');
	}

	# The token the Document Server signs for each download it makes, and sends to the
	# host it downloads from (its "payload" holds the url alone): no builder request.
	{
		my $tok = pyjwt(ds_json(ds_obj(payload => ds_obj(url => $SCRIPT),
			iat => $now, exp => $now + 300)));
		is(verdict(post('/docbuilder', ds_json(ds_obj(url => $SCRIPT)),
			"Authorization: Bearer $tok")), '403 e=claims',
			'the Document Server\'s download token at /docbuilder: 403 claims');
	}

	# A query token beside the body token is checked too (some Document Server versions
	# read the query's at /docbuilder).
	{
		my $params = ds_obj(async => JSON::PP::false, url => $SCRIPT);
		my $tok = pyjwt(ds_json($with_times->($params)));
		my $browser = pyjwt(ds_json($with_times->(ds_obj(fileType => 'docx',
			url => $SCRIPT))));
		is(verdict(post("/docbuilder?token=$browser", ds_json(ds_obj(@$params,
			token => $tok)))), '403 e=claims',
			'builder body token with a browser token in the query: 403 claims');
		is(verdict(post("/docbuilder?token=$tok", ds_json(ds_obj(@$params,
			token => $tok)))), '200 e=',
			'builder body token with the same token in the query: 200');
	}

	# genuine requests

	my $genuine = sub {
		my ($uri, $params, $what) = @_;
		my $tok = pyjwt(ds_json($with_times->($params)));
		is(verdict(post($uri, ds_json(ds_obj(@$params, token => $tok)))), '200 e=',
			"genuine $what: 200");
	};

	$genuine->('/docbuilder', ds_obj(async => JSON::PP::false, url => $SCRIPT),
		'builder, flat body token');

	{
		my $params = ds_obj(async => JSON::PP::false, url => $SCRIPT);
		my $tok = pyjwt(ds_json(ds_obj(payload => $params, iat => $now, exp => $now + 300)));
		is(verdict(post('/docbuilder', ds_json($params), "Authorization: Bearer $tok")),
			'200 e=', 'genuine builder, header token {"payload":...}, JSON body: 200');
	}

	$genuine->('/docbuilder', ds_obj(argument => ds_obj(company => 'Ascensio', n => 2),
		key => 'Khirz6zTPdfd7', url => $SCRIPT), 'builder with key and argument');

	$genuine->('/docbuilder', ds_obj(url => $SCRIPT, iss => 'seahub', sub => 'alice',
		aud => 'documentserver', jti => 'j-1', nbf => $now - 10),
		'builder with the registered claims iss, sub, aud, jti, nbf');

	for my $c (qw/ info drop saved forcesave meta getForgotten deleteForgotten
		getForgottenList version license /)
	{
		my $params = $c =~ /^(?:version|license)\z/
			? ds_obj(c => $c) : ds_obj(c => $c, key => 'Khirz6zTPdfd7');
		$genuine->('/command', $params, "command $c");
	}

	$genuine->('/command', ds_obj(c => 'forcesave', key => 'k', userdata => 'u'),
		'command forcesave with userdata');

	$genuine->('/converter', ds_obj(async => JSON::PP::false, filetype => 'docx',
		key => 'k', outputtype => 'pdf', title => 'a.docx', url => 'http://x/a.docx'),
		'convert');
}

###############################################################################

# 4. download: RFC 3986 6.2.2 normalisation of path and query

{
	my $dl = sub {
		my ($uri, $path) = @_;
		my $tok = signed({ payload => { url => "http://127.0.0.1$path" } });
		return verdict(get($uri, "Authorization: Bearer $tok"));
	};

	my $resume = "/dl/r\x{e9}sum\x{e9}.docx";		# the token's JSON: raw UTF-8

	for my $case (
		[ '/dl/doc?file=a&b=c', '/dl/doc?file=a%26b%3Dc', '403 e=claims' ],
		[ '/dl/doc?file=a%26b%3Dc', '/dl/doc?file=a&b=c', '403 e=claims' ],
		[ '/dl/doc?file=a%26b%3Dc', '/dl/doc?file=a%26b%3Dc', '200 e=' ],
		[ '/dl/a/b', '/dl/a%2Fb', '403 e=claims' ],
		[ '/dl/a%2Fb', '/dl/a/b', '403 e=claims' ],
		[ '/dl/~user', '/dl/%7Euser', '200 e=' ],
		[ '/dl/%7euser', '/dl/~user', '200 e=' ],
		[ '/dl/a%2fb', '/dl/a%2Fb', '200 e=' ],
		[ '/dl/r%C3%A9sum%C3%A9.docx', $resume, '200 e=' ],
		[ '/dl/r%c3%a9sum%c3%a9.docx', $resume, '200 e=' ],
		[ '/dl/a%20b.docx', '/dl/a b.docx', '200 e=' ],
	) {
		my ($uri, $path, $want) = @$case;
		(my $shown = $path) =~ s/([^\x20-\x7e])/sprintf('\\u%04x', ord $1)/ge;
		is($dl->($uri, $path), $want, "download $uri, token url $shown: $want");
	}
}

###############################################################################

# 5. callback: the history trim

{
	my $KEY = 'a1b2c3d4e5f6a7b8c9d0';
	my $USER = 'alice@example.com';
	my $DS = "https://office.example.com/cache/files/data/${KEY}_4711";
	my $CB = '/onlyoffice/editor-callback/?repo_id=r&file_path=/a.docx';

	my $full = ds_obj(
		key => $KEY,
		status => 2,
		url => "$DS/output.docx/output.docx?md5=Qx3Jt0dWkVbLhP7yC0aRZg&expires=1&filename=o",
		changesurl => "$DS/changes.zip/changes.zip?md5=Zx3Jt0dWkVbLhP7yC0aRZg&expires=1",
		history => ds_obj(serverVersion => '8.2.0', changes => [ map {
			ds_obj(created => "2025-01-01 11:5$_:10",
				user => ds_obj(id => $USER, name => 'alice'))
		} 0 .. 2 ]),
		users => [$USER],
		actions => [ ds_obj(type => 0, userid => $USER) ],
		lastsave => '2025-01-01T11:58:10.000Z',
		notmodified => JSON::PP::false,
		filetype => 'docx',
	);
	my $trimmed = ds_with(ds_without($full, 'changesurl'), history => ds_obj());
	my $empty_history = ds_with($full, history => ds_obj());

	my $body_tok = sub { pyjwt(ds_json(ds_obj(@{$_[0]}, iat => $now, exp => $now + 300))) };
	my $hdr = sub {
		'Authorization: Bearer '
			. pyjwt(ds_json(ds_obj(payload => $_[0], iat => $now, exp => $now + 300)));
	};

	# as the Document Server posts a callback whose header token would be too long
	is(verdict(post($CB, ds_posted_body($trimmed, $body_tok->($full)), $hdr->($trimmed))),
		'200 e=', 'callback trimmed as the Document Server does: 200');

	is(verdict(post($CB, ds_posted_body($full, $body_tok->($full)), $hdr->($full))),
		'200 e=', 'callback untrimmed, both tokens: 200');

	is(verdict(post($CB, ds_posted_body($full), $hdr->($empty_history))),
		'403 e=body_mismatch',
		'callback: header token alone, payload history {}, body history full: 403');

	is(verdict(post($CB, ds_posted_body($trimmed), $hdr->($trimmed))), '200 e=',
		'callback: trimmed header token alone, trimmed body: 200');

	is(verdict(post($CB, ds_posted_body($trimmed, $body_tok->($full)))),
		'403 e=body_mismatch',
		'callback: body history {} against the body token alone, history full: 403');

	is(verdict(post($CB, ds_posted_body($full, $body_tok->($empty_history)))),
		'403 e=body_mismatch',
		'callback: body token alone with history {}, body history full: 403');

	is(verdict(post($CB, ds_posted_body($full, $body_tok->($empty_history)),
		$hdr->($empty_history))), '403 e=body_mismatch',
		'callback: body token with history {}, header history {}, body history full: 403');

	is(verdict(post($CB, ds_posted_body($empty_history, $body_tok->($full)), $hdr->($full))),
		'403 e=body_mismatch',
		'callback: body history {}, both tokens with the full history: 403');
}

###############################################################################

# 6. a refused token's claims are not readable after error_page

{
	my $r = get('/admin', 'Authorization: Bearer ' . signed({ sub => 'alice' }));
	is(status_of($r) . ' ' . (body_of($r) // ''), '403 sub=[] err=[require]',
		'require failed: error_page sees no claim, the reason require');

	$r = get('/admin', 'Authorization: Bearer ' . signed({ sub => 'alice',
		admin => JSON::PP::true }));
	is(verdict($r), '200 e=', 'require met: 200');
}

###############################################################################

# 7. two tokens where onlyoffice_jwt_token takes one

{
	my $good = signed({ sub => 'alice' });
	my $forged = signed({ sub => 'admin' }, secret => $OTHER);

	for my $case (
		[ "access_token=$good", '200 e=', 'one access_token' ],
		[ "access_token=$good&access_token=$forged", '401 e=malformed', 'good, forged' ],
		[ "access_token=$forged&access_token=$good", '401 e=malformed', 'forged, good' ],
		[ "access_token=$good&access_token=$good", '401 e=malformed', 'good twice' ],
		[ "access_token=$good&ACCESS_TOKEN=x", '401 e=malformed',
			'access_token and ACCESS_TOKEN' ],
		[ "a=1&access_tokens=x&xaccess_token=y&access_token=$good", '200 e=',
			'access_token among look-alike names' ],
		# names as applications decode them: Django, Express, PHP and Rack decode
		# them, PHP reads "." and " " as "_", Rack splits on ";" too
		[ "access_token=$good&access%5Ftoken=$forged", '401 e=malformed',
			'access_token and access%5Ftoken' ],
		[ "access_token=$good&%61ccess_token=$forged", '401 e=malformed',
			'access_token and %61ccess_token' ],
		[ "access_token=$good&access.token=$forged", '401 e=malformed',
			'access_token and access.token' ],
		[ "access_token=$good&access+token=$forged", '401 e=malformed',
			'access_token and access+token' ],
		[ "x=1;access_token=$forged&access_token=$good", '401 e=malformed',
			'access_token after ";" and after "&"' ],
	) {
		my ($args, $want, $name) = @$case;
		is(verdict(get("/arg?$args")), $want, "\$arg_access_token: $name: $want");
	}

	is(verdict(get("/ARG?access_token=$good")), '200 e=', '$ARG_access_token: one: 200');
	is(verdict(get("/ARG?access_token=$good&access_token=$forged")), '401 e=malformed',
		'$ARG_access_token: two: 401 malformed');
	is(verdict(get("/compound?a=$good")), '200 e=', '$arg_a$arg_b: one a: 200');
	is(verdict(get("/compound?a=$good&b=&a=$forged")), '401 e=malformed',
		'$arg_a$arg_b: two a: 401 malformed');
	is(verdict(get("/compound?a=$good&b=&B=x")), '401 e=malformed',
		'$arg_a$arg_b: two b: 401 malformed');
	is(verdict(get('/COOKIE', "Cookie: jwt=$good")), '200 e=', '${Cookie_jwt}: one: 200');
	is(verdict(get('/COOKIE', "Cookie: jwt=$good; jwt=$forged")), '401 e=malformed',
		'${Cookie_jwt}: two: 401 malformed');

	for my $case (
		[ [ "Cookie: jwt=$good" ], '200 e=', 'one jwt cookie' ],
		[ [ "Cookie: jwt=$good; jwt=$forged" ], '401 e=malformed', 'good, forged' ],
		[ [ "Cookie: jwt=$forged; jwt=$good" ], '401 e=malformed', 'forged, good' ],
		[ [ "Cookie: jwt=$good", "Cookie: jwt=$forged" ], '401 e=malformed',
			'good, forged in two Cookie headers' ],
		[ [ "Cookie: jwt=$good; JWT=x" ], '401 e=malformed', 'jwt and JWT' ],
		[ [ "Cookie: a=1; xjwt=2; jwtx=3; jwt=$good" ], '200 e=',
			'jwt among look-alike names' ],
		# nginx splits cookies on "," as well, most applications on ";" only
		[ [ "Cookie: x=1, jwt=$good; jwt=$forged" ], '401 e=malformed',
			'a jwt after "," and one after ";"' ],
	) {
		my ($headers, $want, $name) = @$case;
		is(verdict(get('/cookie', @$headers)), $want, "\$cookie_jwt: $name: $want");
	}
}

###############################################################################

# 8. Content-Encoding on the body profiles

{
	my $zip = sub {
		my ($how, $text) = @_;
		my $out;
		if ($how eq 'gzip') {
			gzip(\$text => \$out) or die "gzip: $GzipError\n";
		} else {
			deflate(\$text => \$out) or die "deflate: $DeflateError\n";
		}
		return $out;
	};

	my $cmd = ds_obj(c => 'info', key => 'Khirz6zTPdfd7');
	my $cmd_body = ds_json(ds_obj(@$cmd, token => pyjwt(ds_json(ds_obj(@$cmd, %$TIMES)))));
	my $conv = ds_obj(async => JSON::PP::false, filetype => 'docx', key => 'k',
		outputtype => 'pdf', title => 'a.docx', url => 'http://x/a.docx');
	my $conv_body = ds_json(ds_obj(@$conv, token => pyjwt(ds_json(ds_obj(@$conv, %$TIMES)))));
	my $build = ds_obj(async => JSON::PP::false, url => 'http://x/script.docbuilder');
	my $build_body = ds_json(ds_obj(@$build,
		token => pyjwt(ds_json(ds_obj(@$build, %$TIMES)))));

	my $cbf = ds_obj(key => 'a1b2c3d4e5f6a7b8c9d0', status => 4,
		actions => [ ds_obj(type => 0, userid => 'alice@example.com') ]);
	my $cb_body = ds_posted_body($cbf, pyjwt(ds_json(ds_obj(@$cbf, %$TIMES))));
	my $cb_auth = 'Authorization: Bearer '
		. pyjwt(ds_json(ds_obj(payload => $cbf, %$TIMES)));
	my $CB = '/onlyoffice/editor-callback/';

	for my $case (
		[ '/command', $cmd_body, 'gzip', 'JSON', '415 e=encoding' ],
		[ '/command', $zip->('gzip', $cmd_body), 'gzip', 'gzip data', '415 e=encoding' ],
		[ '/command', $cmd_body, 'identity', 'JSON', '200 e=' ],
		[ '/converter', $conv_body, 'gzip', 'JSON', '415 e=encoding' ],
		[ '/converter', $zip->('deflate', $conv_body), 'deflate', 'deflate data',
			'415 e=encoding' ],
		[ '/docbuilder', $build_body, 'gzip', 'JSON', '415 e=encoding' ],
		[ '/docbuilder', $zip->('gzip', $build_body), 'gzip', 'gzip data',
			'415 e=encoding' ],
	) {
		my ($uri, $body, $coding, $what, $want) = @$case;
		is(verdict(post($uri, $body, "Content-Encoding: $coding")), $want,
			"$uri, Content-Encoding $coding, $what with a valid token: $want");
	}

	for my $case (
		[ $cb_body, 'gzip', 'JSON', '415 e=encoding' ],
		[ $zip->('gzip', $cb_body), 'gzip', 'gzip data', '415 e=encoding' ],
		[ $cb_body, 'identity', 'JSON', '200 e=' ],
	) {
		my ($body, $coding, $what, $want) = @$case;
		is(verdict(post($CB, $body, $cb_auth, "Content-Encoding: $coding")), $want,
			"callback, Content-Encoding $coding, $what with valid tokens: $want");
	}

	is(verdict(post('/command', $cmd_body, 'Content-Encoding: identity',
		'Content-Encoding: identity', 'Content-Encoding: gzip')), '415 e=encoding',
		'/command, three Content-Encoding headers, the third gzip: 415');

	my $r = post('/bearer', $zip->('gzip', 'anything'), 'Content-Encoding: gzip',
		'Authorization: Bearer ' . signed({ sub => 'alice' }));
	is(verdict($r), '200 e=', 'bearer ignores Content-Encoding gzip: 200');

	$r = post('/cache/files/x/upload', $zip->('gzip', 'anything'), 'Content-Encoding: gzip');
	is(verdict($r), '200 e=', 'documentserver, a path it does not check, gzip: 200');
}

###############################################################################
