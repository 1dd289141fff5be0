#!/usr/bin/perl

# ngx-onlyoffice-jwt: tokens and bodies at real sizes. Save callbacks built the way the
# ONLYOFFICE Document Server builds them (a flat body token and a {"payload": ...} header
# token, the callback trimmed when its header token would reach 7168 characters), with
# histories of 0 to 5000 changes, up to a body of several hundred KB: accepted with both
# tokens, the body reaching the upstream byte for byte, from memory buffers and from a
# temporary file, chunked and not; one member changed deep in the history refused at every
# size. Command and convert bodies at onlyoffice_jwt_body_limit and one byte over it, and
# a header token near large_client_header_buffers and a little over it.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

use Digest::MD5 qw/ md5_hex /;
use Digest::SHA qw/ sha256 /;
use JSON::PP;
use POSIX qw/ strftime /;

###############################################################################

my $SECRET = 'sizes-0123456789abcdef0123456789abcdef-secret';
my $OTHER = 'xx-0123456789abcdef0123456789abcdef-other';

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(143)
	->write_file_expand('nginx.conf', http_conf(server_conf(8080, <<"EOF")));
        large_client_header_buffers 4 64k;

        onlyoffice_jwt_secret $SECRET;
        add_header X-Err \$onlyoffice_jwt_error always;

        # the default onlyoffice_jwt_body_limit (1m) and client_max_body_size (1m)

        location /mem/editor-callback/ {
            onlyoffice_jwt callback;
            client_body_buffer_size 1m;
            proxy_pass http://127.0.0.1:8081;
        }

        location /file/editor-callback/ {
            onlyoffice_jwt callback;
            client_body_buffer_size 1k;
            proxy_pass http://127.0.0.1:8081;
        }

        location /command {
            onlyoffice_jwt command;
            onlyoffice_jwt_body_limit 64k;
            proxy_pass http://127.0.0.1:8081;
        }

        location /converter {
            onlyoffice_jwt convert;
            onlyoffice_jwt_body_limit 64k;
            proxy_pass http://127.0.0.1:8081;
        }

        location /bearer/ {
            onlyoffice_jwt bearer;
            proxy_pass http://127.0.0.1:8081;
        }
EOF

run_with_echo_backend($t);

###############################################################################

my $LIMIT = 1024 * 1024;     # onlyoffice_jwt_body_limit's default
my $TRIM_AT = 7168;          # the DS trims when the header token reaches this length
my $DS = 'https://office.example.com';
my $BASE_TIME = 1735718400;  # 2025-01-01 08:00:00 UTC, when the editing began
my $NOW = time();            # when the DS signs (iat), for every callback of the file

# the co-editors: ids user-N@example.com, some names not ASCII (JSON.stringify sends them
# as UTF-8)
my @NAMES = ("Zo\x{eb} \x{d8}rsted", "\x{141}ukasz \x{17b}\x{f3}\x{142}\x{107}",
	"\x{674e}\x{5a1c}");

sub user_of {
	my ($p) = @_;
	my $name = $p % 4 == 2 ? "$NAMES[int($p / 4) % @NAMES] ($p)" : "User $p";
	return ("user-$p\@example.com", $name);
}

# a status 2 (MustSave) callback object whose history has $n changes, in the member order
# of the DS's OutputSfcData. Sessions of a few changes by one user, from a pool of
# co-editors that grows with the history; a few seconds to a minute between changes.
# tamper => 1 changes the last change's user name (with no changes: the serverVersion).
sub save_object {
	my ($n, %opts) = @_;
	my $key = substr(md5_hex("document $n"), 0, 20);
	my $pool = 2 + int(sqrt($n));
	my $time = $BASE_TIME;
	my ($last_id) = user_of(1);
	my @changes;

	for my $i (0 .. $n - 1) {
		$time += 3 + ($i * 37) % 53;
		my ($id, $name) = user_of(1 + (int($i / 6) * 7 + int($i / 50)) % $pool);
		$name = 'Mallory' if $opts{tamper} && $i == $n - 1;
		push @changes, ds_obj(
			created => strftime('%Y-%m-%d %H:%M:%S', gmtime $time),
			user => ds_obj(id => $id, name => $name),
		);
		$last_id = $id;
	}

	my $signed = sub {
		my ($name) = @_;
		return "$DS/cache/files/data/${key}_4711/$name/$name?md5="
			. substr(b64url(sha256("$key$name")), 0, 22)
			. '&expires=' . ($NOW + 900) . "&filename=$name";
	};

	return ds_obj(
		key => $key,
		status => 2,
		url => $signed->('output.docx'),
		changesurl => $signed->('changes.zip'),
		history => ds_obj(
			serverVersion => ($opts{tamper} && !$n ? '8.2.1' : '8.2.0'),
			changes => \@changes,
		),
		users => [ $last_id ],
		actions => [ ds_obj(type => 0, userid => $last_id) ],
		lastsave => strftime('%Y-%m-%dT%H:%M:%S.000Z', gmtime $time),
		notmodified => JSON::PP::false,
		filetype => 'docx',
	);
}

sub post {
	my ($uri, $body, %opts) = @_;
	return http_req('POST', $uri,
		headers => [ 'Content-Type: application/json', 'User-Agent: Node.js/6.13',
			@{$opts{headers} || []} ],
		body => $body,
		($opts{chunked} ? (chunked => 1, pieces => pieces($body)) : ()));
}

# the body cut into chunks of irregular sizes
sub pieces {
	my ($body) = @_;
	my @sizes = (1, 4096, 333, 16384, 8000, 65519, 2);
	my @p;
	for (my ($off, $i) = (0, 0); $off < length $body; $i++) {
		my $len = $sizes[$i % @sizes];
		push @p, substr($body, $off, $len);
		$off += $len;
	}
	return \@p;
}

sub kb { sprintf('%.1f KB', $_[0] / 1024) }

###############################################################################

# save callbacks: the sizes of the issue, and the two sides of the trim

my $edge = 0;
$edge++ while ds_callback($SECRET, save_object($edge + 1), iat => $NOW)
	->{header_token_first} < $TRIM_AT;

for my $n (sort { $a <=> $b } 0, 10, 100, 150, 400, 1500, 5000, $edge, $edge + 1) {
	my $cb = ds_callback($SECRET, save_object($n), iat => $NOW);
	my ($body, $auth) = @$cb{qw/ body auth /};
	my $trimmed = $cb->{trimmed};

	my $shape = $trimmed
		? $body =~ /,"history":\{\},"users":/ && $body !~ /"changesurl"/
		: $body =~ /,"changesurl":"[^"]+","history":\{"serverVersion":"8\.2\.0","changes":\[/;
	ok($trimmed == ($cb->{header_token_first} >= $TRIM_AT) && $shape
		&& length($body) < $LIMIT,
		sprintf('%d changes%s: body %d bytes (%s), body token %d, header token %d%s',
			$n, ($n == $edge || $n == $edge + 1 ? ' (the trim edge)' : ''),
			length $body, kb(length $body), length $cb->{body_token},
			length $cb->{header_token},
			$trimmed ? " (trimmed, $cb->{header_token_first} before)" : ', not trimmed'));

	for my $where (qw/ mem file /) {
		for my $chunked (0, 1) {
			my $name = "$n changes, " . ($where eq 'mem' ? 'memory' : 'temporary file')
				. ($chunked ? ', chunked' : '');
			my $r = post("/$where/editor-callback/", $body, headers => [ $auth ],
				chunked => $chunked);
			is(status_of($r), 200, "$name: accepted");
			like($r, echo_of($body), "$name: the upstream got the identical body");
		}
	}

	# one member changed deep in the history; both tokens genuine. A trimmed callback
	# gets its full (altered) history back in the body, as an attacker could send it.
	my $forged = save_object($n, tamper => 1);
	$forged = ds_without($forged, 'changesurl') if $trimmed;
	my $fbody = ds_posted_body($forged, $cb->{body_token});

	my $r = post('/mem/editor-callback/', $fbody, headers => [ $auth ]);
	is(status_of($r), 403, "$n changes, history altered: 403");
	is(header_of($r, 'X-Err'), 'body_mismatch', "$n changes, history altered: body_mismatch");

	$r = post('/file/editor-callback/', $fbody, headers => [ $auth ], chunked => 1);
	is(status_of($r), 403, "$n changes, history altered, temporary file, chunked: 403");
	is(header_of($r, 'X-Err'), 'body_mismatch',
		"$n changes, history altered, temporary file, chunked: body_mismatch");
}

{
	my $log = $t->read_file('error.log');
	my $buffered = 'a client request body is buffered to a temporary file';
	like($log, qr/\Q$buffered\E[^\n]* request: "POST \/file\/editor-callback\//,
		'the temporary-file location buffered the bodies to a file');
	unlike($log, qr/\Q$buffered\E[^\n]* request: "POST \/mem\/editor-callback\//,
		'the memory location kept the bodies in memory');
}

###############################################################################

# bodies at onlyoffice_jwt_body_limit (64k), and one byte over it

my $BODY_LIMIT = 64 * 1024;

# the largest body $make->($len) gives within the limit, padded with JSON whitespace to
# the limit exactly
sub at_limit {
	my ($make) = @_;
	my ($lo, $hi) = (0, $BODY_LIMIT);
	while ($lo < $hi) {
		my $mid = int(($lo + $hi + 1) / 2);
		if (length($make->($mid)) <= $BODY_LIMIT) { $lo = $mid } else { $hi = $mid - 1 }
	}
	my $body = $make->($lo);
	return $body . (' ' x ($BODY_LIMIT - length $body));
}

# text that does not repeat in short periods
sub filler {
	my ($len, $seed) = @_;
	my $s = '';
	my $i = 0;
	$s .= b64url(sha256($seed . $i++)) while length $s < $len;
	return substr($s, 0, $len);
}

sub limit_tests {
	my ($what, $uri, $body, $token) = @_;

	my $over = "$body\x0a";
	ok(length($body) == $BODY_LIMIT && length($token) > $BODY_LIMIT / 2,
		"$what: body " . length($body) . ' bytes (the limit), body token '
		. length($token) . ' bytes');

	my $r = post($uri, $body);
	is(status_of($r), 200, "$what at the limit: accepted");
	like($r, echo_of($body), "$what at the limit: the upstream got the identical body");

	$r = post($uri, $body, chunked => 1);
	is(status_of($r), 200, "$what at the limit, chunked: accepted");
	like($r, echo_of($body), "$what at the limit, chunked: the upstream got the identical body");

	$r = post($uri, $over);
	is(status_of($r), 413, "$what one byte over the limit: 413");
	is(header_of($r, 'X-Err'), 'body_too_large', "$what one byte over the limit: body_too_large");

	$r = post($uri, $over, chunked => 1);
	is(status_of($r), 413, "$what one byte over the limit, chunked: 413");
}

{
	# a forcesave command whose token carries a big userdata, posted as {"token": ...}
	my $key = substr(md5_hex('command document'), 0, 20);
	my $token;
	my $body = at_limit(sub {
		$token = jwt($SECRET, { c => 'forcesave', key => $key,
			userdata => filler($_[0], 'userdata') });
		return '{"token":"' . $token . '"}';
	});
	($token) = $body =~ /"token":"([^"]+)"/;
	limit_tests('command (forcesave, big userdata)', '/command', $body, $token);
}

{
	# a conversion of a file behind a long presigned URL: the parameters and their token
	my $key = substr(md5_hex('convert document'), 0, 20);
	my $token;
	my $body = at_limit(sub {
		my $url = 'https://seafile.example.com/seafhttp/files/'
			. '6e1ae9b7-92ad-4bd5-9c3f-0c2f3b2a6d11/report.docx'
			. '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-Security-Token='
			. filler($_[0], 'sts');
		my %params = (async => JSON::PP::false, filetype => 'docx', key => $key,
			outputtype => 'pdf', title => 'report.docx', url => $url);
		$token = jwt($SECRET, \%params);
		return json({ %params, token => $token });
	});
	($token) = $body =~ /"token":"([^"]+)"/;
	limit_tests('convert (long url)', '/converter', $body, $token);
}

###############################################################################

# a header token near large_client_header_buffers (4 64k), and a little over it: a header
# line must fit one 64k buffer, its CRLF included

{
	my $key = substr(md5_hex('bearer document'), 0, 20);
	my $BUF = 64 * 1024;
	my $PREFIX = 'Authorization: Bearer ';

	# a DS-style header token ({"payload": ...}, iat, exp) of $want bytes (about, or
	# exactly)
	my $sized = sub {
		my ($secret, $want, $exact) = @_;
		my $pad = int($want * 3 / 4) - 200;
		my $tok;
		do {
			$tok = jwt($secret, { payload => { c => 'forcesave', key => $key,
				userdata => filler($pad++, 'header') } }, ttl => 300);
		} while length($tok) < $want;
		die "no token of exactly $want bytes\n" if $exact && length($tok) != $want;
		return $tok;
	};
	my $get = sub {
		return http_req('GET', '/bearer/x', headers => [ $PREFIX . $_[0] ]);
	};
	my $upstream_got = sub {
		my ($r, $tok) = @_;
		return index($r // '', "\x0aauth=Bearer $tok\x0a") >= 0;
	};

	my $tok = $sized->($SECRET, 60 * 1024);
	my $r = $get->($tok);
	is(status_of($r), 200, 'header token of ' . length($tok) . ' bytes: accepted');
	ok($upstream_got->($r, $tok), 'header token of 60 KB: the upstream got it');

	my $forged = $sized->($OTHER, 60 * 1024);
	$r = $get->($forged);
	is(status_of($r), 401, 'forged header token of ' . length($forged) . ' bytes: 401');
	is(header_of($r, 'X-Err'), 'signature', 'forged header token of 60 KB: signature');

	# the largest that fits: the header line fills the buffer exactly
	my $edge = $sized->($SECRET, $BUF - length($PREFIX) - 2, 'exact');
	my $line = length($PREFIX . $edge) + 2;
	$r = $get->($edge);
	is(status_of($r), 200, 'header token of ' . length($edge) . " bytes, a header line of $line"
		. ' bytes (the buffer exactly): accepted');
	ok($upstream_got->($r, $edge), 'header line filling the buffer: the upstream got the token');

	# one byte more: nginx's own "Request Header Or Cookie Too Large" (494 inside nginx,
	# 400 on the wire)
	my $huge = $sized->($SECRET, $BUF - length($PREFIX) - 1, 'exact');
	$line = length($PREFIX . $huge) + 2;
	$r = $get->($huge);
	is(status_of($r), 400, 'header token of ' . length($huge) . " bytes, a header line of $line"
		. ' bytes: nginx answers 400');
	like(body_of($r) // '', qr/Request Header Or Cookie Too Large/,
		'header line over the buffer: Request Header Or Cookie Too Large');
}

###############################################################################
