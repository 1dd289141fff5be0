#!/usr/bin/perl

# ngx-onlyoffice-jwt: how the request body that carries a token is read, for the
# "command" and "callback" profiles: at once, split across writes, chunked, larger than
# client_body_buffer_size (a temporary file), over onlyoffice_jwt_body_limit, empty, not
# JSON; several requests on one keepalive connection; and clients that misbehave
# (bodies cut short, clients that stop sending, bodies that are not strict JSON).

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw/ sleep time /;

###############################################################################

my $SECRET = 'body-0123456789abcdef0123456789abcdef-secret';
my $OTHER = 'xx-0123456789abcdef0123456789abcdef-other';

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(74)
	->write_file_expand('nginx.conf', http_conf(server_conf(8080, <<"EOF")));
        onlyoffice_jwt_secret $SECRET;
        add_header X-Err \$onlyoffice_jwt_error always;

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
            client_body_buffer_size 1k;
            proxy_pass http://127.0.0.1:8081;
        }

        location /limited/editor-callback/ {
            onlyoffice_jwt callback;
            onlyoffice_jwt_body_limit 4k;
            proxy_pass http://127.0.0.1:8081;
        }

        location /slow/editor-callback/ {
            onlyoffice_jwt callback;
            client_body_timeout 1s;
            proxy_pass http://127.0.0.1:8081;
        }
EOF

run_with_echo_backend($t);

###############################################################################

my $KEY = 'a1b2c3d4e5f6a7b8c9d0';
my $USER = 'alice@example.com';
my $DS = 'https://office.example.com';
my $CB = '/onlyoffice/editor-callback/';

# a status 2 callback whose history has $n changes, as [ name => value, ... ]
sub save_fields {
	my ($n) = @_;
	my $signed = sub {
		my ($name) = @_;
		return "$DS/cache/files/data/${KEY}_4711/$name/$name"
			. '?md5=Qx3Jt0dWkVbLhP7yC0aRZg&expires=1735733700&filename=' . $name;
	};
	return [
		key => $KEY,
		status => 2,
		url => $signed->('output.docx'),
		changesurl => $signed->('changes.zip'),
		history => {
			serverVersion => '8.2.0',
			changes => [ map { {
				created => sprintf('2025-01-01 %02d:%02d:10', 8 + int($_ / 60), $_ % 60),
				user => { id => "user$_\@example.com", name => "user $_" },
			} } 1 .. $n ],
		},
		users => [$USER],
		actions => [ { type => 0, userid => $USER } ],
		lastsave => '2025-01-01T11:58:10.000Z',
		notmodified => JSON::PP::false,
		filetype => 'docx',
	];
}

my $CMD = { c => 'info', key => $KEY };
my $CMD_TOKEN = jwt($SECRET, $CMD);
my $CMD_BODY = json({ %$CMD, token => $CMD_TOKEN });
my $CMD_HEADER = 'Authorization: Bearer ' . jwt($SECRET, { payload => $CMD });

my ($CB_BODY, $CB_HEADER) = signed_callback($SECRET, save_fields(2));

# a request head for a body of $len bytes (or chunked, when $len is undef)
sub head {
	my ($method, $uri, $len, @headers) = @_;
	my $h = "$method $uri HTTP/1.1\x0d\x0aHost: localhost\x0d\x0a";
	$h .= "$_\x0d\x0a" for @headers;
	$h .= defined $len ? "Content-Length: $len\x0d\x0a"
		: "Transfer-Encoding: chunked\x0d\x0a";
	return "$h\x0d\x0a";
}

sub chunk {
	return join '', map { sprintf("%x\x0d\x0a%s\x0d\x0a", length $_, $_) } @_;
}

sub connect_nginx {
	my $s = IO::Socket::INET->new(Proto => 'tcp',
		PeerAddr => '127.0.0.1:' . port(8080), Timeout => 5)
		or die "Can't connect to nginx: $!\n";
	return $s;
}

# sends the pieces with a pause between them, then reads to EOF
sub send_pieces {
	my ($delay, @pieces) = @_;
	my $s = connect_nginx();
	local $SIG{PIPE} = 'IGNORE';
	for my $i (0 .. $#pieces) {
		sleep($delay) if $i;
		$s->syswrite($pieces[$i]) or last;
	}
	return read_all($s, 5);
}

sub read_all {
	my ($s, $timeout) = @_;
	my $sel = IO::Select->new($s);
	my $reply = '';
	my $deadline = time() + $timeout;
	while ((my $left = $deadline - time()) > 0) {
		last unless $sel->can_read($left);
		my $n = $s->sysread($reply, 65536, length $reply);
		last unless $n;
	}
	close $s;
	return $reply;
}

# reads up to the end of a response head
sub read_head {
	my ($s, $timeout) = @_;
	my $sel = IO::Select->new($s);
	my $reply = '';
	my $deadline = time() + $timeout;
	while ($reply !~ /\x0d\x0a\x0d\x0a/ && (my $left = $deadline - time()) > 0) {
		last unless $sel->can_read($left);
		my $n = $s->sysread($reply, 65536, length $reply);
		last unless $n;
	}
	return $reply;
}

###############################################################################

# the body at once

{
	my $r = http_req('POST', '/command', body => $CMD_BODY);
	is(status_of($r), 200, 'command: body at once');
	like($r, echo_of($CMD_BODY), 'command: body at once: identical body');

	$r = http_req('POST', $CB, headers => [ $CB_HEADER ], body => $CB_BODY);
	is(status_of($r), 200, 'callback: body at once');
	like($r, echo_of($CB_BODY), 'callback: body at once: identical body');
}

# the body split across writes

{
	my $cut = int(length($CMD_BODY) / 2);
	my $r = send_pieces(0.2, head('POST', '/command', length $CMD_BODY, 'Connection: close'),
		substr($CMD_BODY, 0, $cut), substr($CMD_BODY, $cut));
	is(status_of($r), 200, 'command: body split across writes');
	like($r, echo_of($CMD_BODY), 'command: split: identical body');

	$cut = int(length($CB_BODY) / 3);
	$r = send_pieces(0.2,
		head('POST', $CB, length $CB_BODY, 'Connection: close', $CB_HEADER)
			. substr($CB_BODY, 0, $cut),
		substr($CB_BODY, $cut, $cut), substr($CB_BODY, 2 * $cut));
	is(status_of($r), 200, 'callback: body split across writes');
	like($r, echo_of($CB_BODY), 'callback: split: identical body');

	# the harness's own way: the request, a pause, then the body
	my $s = http(head('POST', '/command', length $CMD_BODY, 'Connection: close'),
		sleep => 0.2, body => $CMD_BODY, start => 1);
	$r = Test::Nginx::http_end($s);
	is(status_of($r), 200, 'command: body sent after a pause');
}

# chunked bodies

{
	my @p = map { substr($CMD_BODY, $_ * 20, 20) } 0 .. int(length($CMD_BODY) / 20);
	my $r = http_req('POST', '/command', body => $CMD_BODY, chunked => 1, pieces => \@p);
	is(status_of($r), 200, 'command: chunked');
	like($r, echo_of($CMD_BODY), 'command: chunked: identical body');

	@p = map { substr($CB_BODY, $_ * 100, 100) } 0 .. int(length($CB_BODY) / 100);
	$r = http_req('POST', $CB, headers => [ $CB_HEADER ], body => $CB_BODY,
		chunked => 1, pieces => \@p);
	is(status_of($r), 200, 'callback: chunked');
	like($r, echo_of($CB_BODY), 'callback: chunked: identical body');

	# chunks that arrive one by one
	$r = send_pieces(0.1, head('POST', $CB, undef, 'Connection: close', $CB_HEADER),
		(map { chunk($_) } @p[0 .. 3]), chunk(join '', @p[4 .. $#p]) . "0\x0d\x0a\x0d\x0a");
	is(status_of($r), 200, 'callback: chunks across writes');
	like($r, echo_of($CB_BODY), 'callback: chunks across writes: identical body');
}

# bodies larger than client_body_buffer_size (1k): read from a temporary file

{
	my ($body, $auth) = signed_callback($SECRET, save_fields(8));
	cmp_ok(length $body, '>', 2900, 'a callback of about 3 KB');

	my $r = http_req('POST', '/small/editor-callback/', headers => [ $auth ],
		body => $body);
	is(status_of($r), 200, 'callback in a temporary file');
	like($r, echo_of($body), 'callback in a temporary file: identical body');

	my @p = map { substr($body, $_ * 700, 700) } 0 .. int(length($body) / 700);
	$r = send_pieces(0.05,
		head('POST', '/small/editor-callback/', undef, 'Connection: close', $auth),
		(map { chunk($_) } @p), "0\x0d\x0a\x0d\x0a");
	is(status_of($r), 200, 'chunked callback in a temporary file');
	like($r, echo_of($body), 'chunked callback in a temporary file: identical body');

	like($t->read_file('error.log'), qr/client request body is buffered to a temporary file/,
		'the body went to a temporary file');

	# a body member changed in the part that went to the file
	(my $forged = $body) =~ s/user7\@example\.com/mallory\@example.com/;
	$r = http_req('POST', '/small/editor-callback/', headers => [ $auth ],
		body => $forged);
	is(status_of($r), 403, 'forged callback in a temporary file: 403');
}

# over onlyoffice_jwt_body_limit (4k)

{
	my $uri = '/limited/editor-callback/';
	my ($body, $auth) = signed_callback($SECRET, save_fields(8));
	my $r = http_req('POST', $uri, headers => [ $auth ], body => $body);
	is(status_of($r), 200, 'limit 4k: 3 KB callback passes');

	my ($big) = signed_callback($SECRET, save_fields(20));
	cmp_ok(length $big, '>', 4096, 'a callback over 4 KB');

	$r = http_req('POST', $uri, body => $big);
	is(status_of($r), 413, 'over the limit by Content-Length: 413');
	is(header_of($r, 'X-Err'), 'body_too_large', 'by Content-Length: body_too_large');

	# 413 at once, before the body is sent
	my $s = connect_nginx();
	$s->syswrite(head('POST', $uri, 100000, 'Connection: close'));
	my $start = time();
	$r = read_head($s, 3);
	is(status_of($r), 413, 'Content-Length over the limit, no body sent: 413');
	cmp_ok(time() - $start, '<', 1, 'the 413 comes at once');
	close $s;

	my @p = map { substr($big, $_ * 500, 500) } 0 .. int(length($big) / 500);
	$r = http_req('POST', $uri, body => $big, chunked => 1, pieces => \@p);
	is(status_of($r), 413, 'over the limit, chunked: 413');
	is(header_of($r, 'X-Err'), 'body_too_large', 'chunked: body_too_large');

	$r = send_pieces(0.05, head('POST', $uri, undef, 'Connection: close'),
		(map { chunk($_) } @p), "0\x0d\x0a\x0d\x0a");
	is(status_of($r), 413, 'over the limit, chunks across writes: 413');

	# the limit itself: a body of exactly 4096 bytes passes, one more byte does not
	# (JSON whitespace after the object pads the body)
	my $exact = $body . (' ' x (4096 - length $body));
	my $over = "$exact\x0a";
	$r = http_req('POST', $uri, headers => [ $auth ], body => $exact);
	is(status_of($r), 200, 'exactly at the limit: 200');
	like($r, echo_of($exact), 'exactly at the limit: identical body');

	$r = http_req('POST', $uri, headers => [ $auth ], body => $over);
	is(status_of($r), 413, 'one byte over the limit: 413');

	@p = map { substr($exact, $_ * 1000, 1000) } 0 .. 4;
	$r = http_req('POST', $uri, headers => [ $auth ], body => $exact, chunked => 1,
		pieces => \@p);
	is(status_of($r), 200, 'exactly at the limit, chunked: 200');

	$r = http_req('POST', $uri, headers => [ $auth ], body => $over, chunked => 1,
		pieces => [ @p, "\x0a" ]);
	is(status_of($r), 413, 'one byte over the limit, chunked: 413');

	# Expect: 100-continue: refused before nginx asks for the body
	$s = connect_nginx();
	$s->syswrite(head('POST', $uri, length $big, 'Connection: close',
		'Expect: 100-continue'));
	$r = read_head($s, 3);
	close $s;
	like($r, qr{^HTTP/1\.1 413 }, 'over the limit with Expect: 100-continue: 413, no 100');

	$s = connect_nginx();
	$s->syswrite(head('POST', $uri, length $body, 'Connection: close',
		'Expect: 100-continue', $auth));
	$r = read_head($s, 3);
	$s->syswrite($body);
	$r .= read_all($s, 3);
	like($r, qr{^HTTP/1\.1 100 Continue\x0d\x0a\x0d\x0aHTTP/1\.1 200 }s,
		'Expect: 100-continue: 100, then 200');
	like($r, echo_of($body), 'Expect: 100-continue: identical body');
}

# empty bodies

{
	my $r = http_req('POST', '/command', headers => [ $CMD_HEADER ]);
	is(status_of($r), 200, 'command, no body: header token');

	$r = http_req('POST', '/command', headers => [ $CMD_HEADER ], body => '');
	is(status_of($r), 200, 'command, Content-Length 0: header token');

	$r = http_req('POST', "/command?c=info&token=$CMD_TOKEN", body => '');
	is(status_of($r), 200, 'command, Content-Length 0: query token');

	$r = http_req('POST', '/command', headers => [ $CMD_HEADER ], body => '',
		chunked => 1);
	is(status_of($r), 200, 'command, empty chunked body: header token');

	$r = http_req('POST', '/command', body => '');
	is(status_of($r), 401, 'command, empty body, no token: 401');
}

# bodies that are not JSON

{
	my $r = http_req('POST', '/command', headers => [ $CMD_HEADER ], body => 'a=b');
	is(status_of($r), 200, 'command, body a=b: header token');
	like($r, echo_of('a=b'), 'command, body a=b: identical body');

	$r = http_req('POST', $CB, headers => [ $CB_HEADER ], body => 'a=b');
	is(status_of($r), 403, 'callback, body a=b: 403');
}

# several requests on one keepalive connection

{
	my $s = connect_nginx();
	my $buf = '';
	my ($bad_cb) = signed_callback($SECRET, save_fields(2));
	$bad_cb =~ s/"status":2/"status":6/;
	(my $no_token = $CB_BODY) =~ s/"token":"[^"]*",//;

	my @reqs = (
		[ 200, head('POST', '/command', length $CMD_BODY) . $CMD_BODY, $CMD_BODY ],
		[ 401, head('POST', '/command', length $CMD_BODY, 'Authorization: Bearer '
			. jwt($OTHER, { payload => $CMD })) . $CMD_BODY ],
		[ 200, head('POST', $CB, length $CB_BODY, $CB_HEADER) . $CB_BODY, $CB_BODY ],
		[ 403, head('POST', $CB, length $bad_cb, $CB_HEADER) . $bad_cb ],
		[ 401, head('POST', $CB, length $no_token) . $no_token ],
		[ 200, head('POST', '/command', undef) . chunk(substr($CMD_BODY, 0, 10),
			substr($CMD_BODY, 10)) . "0\x0d\x0a\x0d\x0a", $CMD_BODY ],
		[ 200, head('POST', '/command', length $CMD_BODY, 'Connection: close')
			. $CMD_BODY, $CMD_BODY ],
	);

	my $i = 0;
	for my $q (@reqs) {
		my ($want, $req, $echo) = @$q;
		$i++;
		$s->syswrite($req);
		my $r = read_response($s, \$buf);
		is(status_of($r), $want, "keepalive request $i: $want");
		like($r, echo_of($echo), "keepalive request $i: identical body")
			if defined $echo;
	}
	close $s;

	# the same, pipelined in one write
	$s = connect_nginx();
	$buf = '';
	$s->syswrite(join '', map { $_->[1] } @reqs);
	my @got = map { status_of(read_response($s, \$buf)) } @reqs;
	is("@got", join(' ', map { $_->[0] } @reqs), 'pipelined requests: each its own status');
	close $s;
}

# clients that misbehave

{
	local $SIG{PIPE} = 'IGNORE';

	# a chunked body that ends in the middle of a chunk, then the client closes
	my $s = connect_nginx();
	$s->syswrite(head('POST', $CB, undef, $CB_HEADER) . sprintf("%x\x0d\x0a", 1000)
		. substr($CB_BODY, 0, 300));
	sleep(0.1);
	close $s;

	# a body shorter than its Content-Length, then the client closes
	$s = connect_nginx();
	$s->syswrite(head('POST', '/command', length($CMD_BODY) + 50) . $CMD_BODY);
	sleep(0.1);
	close $s;

	# a client that closes for writing only: nginx answers or closes
	$s = connect_nginx();
	$s->syswrite(head('POST', '/command', length($CMD_BODY) + 50) . $CMD_BODY);
	shutdown($s, 1);
	my $start = time();
	my $r = read_all($s, 3);
	ok(time() - $start < 2.5 && (!$r || status_of($r) == 400),
		'half-closed body: closed or 400 at once');

	sleep(0.1);
	$r = http_req('POST', '/command', body => $CMD_BODY);
	is(status_of($r), 200, 'after bodies cut short: a normal request works');

	# a client that stops sending, client_body_timeout 1s
	$s = connect_nginx();
	$s->syswrite(head('POST', '/slow/editor-callback/', 100, $CB_HEADER)
		. substr($CB_BODY, 0, 10));
	$start = time();
	$r = read_all($s, 4);
	my $took = time() - $start;
	ok($took < 2.5 && (!$r || status_of($r) == 408),
		'stalled body: closed or 408 after client_body_timeout');
	cmp_ok($took, '>', 0.5, 'stalled body: not before the timeout');
	like($t->read_file('access.log'), qr{"POST /slow/editor-callback/ HTTP/1\.1" 408 },
		'stalled body: logged as 408');

	# a chunk size that is not hex
	$r = send_pieces(0, head('POST', '/command', undef, 'Connection: close')
		. "zz\x0d\x0a0123\x0d\x0a0\x0d\x0a\x0d\x0a");
	is(status_of($r), 400, 'bad chunk size: 400');
}

# bodies that are not strict JSON, and token members that are not strings

{
	my $r = http_req('POST', '/command', headers => [ $CMD_HEADER ],
		body => qq({"c":"info","key":"\xc3\x28\xa0\xa1","token":"$CMD_TOKEN"}));
	is(status_of($r), 400, 'command: invalid UTF-8: 400');

	(my $body = $CB_BODY) =~ s/alice\@example\.com/al\xe9ce\@example.com/;
	$r = http_req('POST', $CB, headers => [ $CB_HEADER ], body => $body);
	is(status_of($r), 400, 'callback: Latin-1 byte in a string: 400');

	my $deep = '[' x 200 . ']' x 200;
	$r = http_req('POST', '/command', headers => [ $CMD_HEADER ],
		body => qq({"c":"info","x":$deep,"token":"$CMD_TOKEN"}));
	is(status_of($r), 400, 'command: 200-deep nesting: 400');

	$r = http_req('POST', $CB, headers => [ $CB_HEADER ],
		body => substr($CB_BODY, 0, -1) . qq(,"x":$deep}));
	is(status_of($r), 400, 'callback: 200-deep nesting: 400');

	$r = http_req('POST', '/command', headers => [ $CMD_HEADER ],
		body => qq({"c":"info","key":"$KEY","token":12345}));
	is(status_of($r), 401, 'command: token member a number: 401');

	($body = $CB_BODY) =~ s/"token":"[^"]*"/"token":["x"]/;
	$r = http_req('POST', $CB, headers => [ $CB_HEADER ], body => $body);
	is(status_of($r), 401, 'callback: token member an array: 401');

	$r = http_req('POST', '/command', headers => [ $CMD_HEADER ],
		body => qq({"c":"info","token":"$CMD_TOKEN","key":"$KEY","token":"$CMD_TOKEN"}));
	is(status_of($r), 400, 'command: duplicate token members: 400');

	($body = $CB_BODY) =~ s/"status":2,/"status":2,"status":2,/;
	$r = http_req('POST', $CB, headers => [ $CB_HEADER ], body => $body);
	is(status_of($r), 400, 'callback: duplicate members: 400');

	$r = http_req('POST', $CB, headers => [ $CB_HEADER ], body => $CB_BODY);
	is(status_of($r), 200, 'at the end, a genuine callback still works');
}

###############################################################################
