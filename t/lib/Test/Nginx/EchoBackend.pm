package Test::Nginx::EchoBackend;

# A small HTTP backend for the ngx-onlyoffice-jwt tests: it reads each request (body by
# Content-Length or chunked), and answers 200 with what it received, so that a test can
# check that the upstream got the very bytes the client sent.
#
#     use Test::Nginx::EchoBackend;
#     run_with_echo_backend($t);    # the backend on port(8081), then nginx
#     like(http_req('POST', '/x', body => $b), echo_of($b), 'identical body');
#
# The reply body is one line per fact:
#
#     echo method=POST uri=/x
#     len=N md5=HEX
#     auth=<the Authorization header, or "-">
#     hdr=<a request header line>
#     ...
#
# and the same length and digest are in the X-Echo-Len and X-Echo-Md5 headers. There is
# one hdr= line for every header line of the request as it arrived, in order (the request
# line left out; a line ends at LF, a CR before it dropped), with each byte that is neither
# a space nor in 0x21-0x7E written as \xNN (upper-case hex): the header lines a backend
# that splits at LF sees, so that a test can tell a header that was split in two or carries
# a control character.
# One connection at a time; each reply says "Connection: close". Core Perl only.

use warnings;
use strict;

use Exporter qw/ import /;
use Digest::MD5 qw/ md5_hex /;
use IO::Select;
use IO::Socket::INET;

use Test::Nginx qw/ port /;

our @EXPORT = qw/ echo_backend echo_line echo_of run_with_echo_backend /;

# run_with_echo_backend($t, $port): starts the backend on port($port) (8081 unless
# given), then nginx ($t->run()), and waits until the backend accepts connections.
sub run_with_echo_backend {
	my ($t, $port) = @_;
	$port //= 8081;

	$t->run_daemon(\&echo_backend, port($port));
	$t->run();
	$t->waitforsocket('127.0.0.1:' . port($port)) or die "Can't start echo backend\n";

	return $t;
}

# echo_line($body): the "len=N md5=HEX" line the backend answers for $body.
sub echo_line {
	my ($body) = @_;
	$body //= '';
	return 'len=' . length($body) . ' md5=' . md5_hex($body);
}

# echo_of($body): a regex that matches a response whose backend got exactly $body.
sub echo_of {
	my $line = echo_line(@_);
	return qr/\x0d\x0a\x0d\x0aecho [^\x0a]*\x0a\Q$line\E\x0a/;
}

# echo_backend($port): the daemon's main loop (run with Test::Nginx::run_daemon).
sub echo_backend {
	my ($port) = @_;

	my $server = IO::Socket::INET->new(
		Proto     => 'tcp',
		LocalAddr => "127.0.0.1:$port",
		Listen    => 16,
		Reuse     => 1,
	) or die "Can't create listening socket: $!\n";

	local $SIG{PIPE} = 'IGNORE';

	while (my $client = $server->accept()) {
		eval { serve($client); 1 };
		close $client;
	}
}

# Reads more bytes into $$buf; false on EOF, error or 5 s of silence.
sub fill {
	my ($client, $buf) = @_;
	return 0 unless IO::Select->new($client)->can_read(5);
	my $n = sysread($client, $$buf, 65536, length $$buf);
	return $n ? 1 : 0;
}

sub serve {
	my ($client) = @_;

	my $buf = '';
	while ($buf !~ /\x0d?\x0a\x0d?\x0a/) {
		fill($client, \$buf) or return;
	}

	$buf =~ s/^(.*?\x0d?\x0a)\x0d?\x0a//s;
	my $head = $1;
	my ($method, $uri) = $head =~ /^(\S+) (\S+)/;
	my ($auth) = $head =~ /^Authorization:[ \t]*(.*?)\x0d?$/mi;

	my $body = '';

	if ($head =~ /^Transfer-Encoding:[ \t]*chunked/mi) {
		while (1) {
			while ($buf !~ /\x0a/) {
				fill($client, \$buf) or return;
			}
			$buf =~ s/^([0-9a-fA-F]+)[^\x0a]*\x0a// or return;
			my $len = hex $1;
			if ($len == 0) {
				# trailers, up to the empty line
				while ($buf !~ /^\x0d?\x0a/m) {
					fill($client, \$buf) or last;
				}
				last;
			}
			while (length($buf) < $len + 2) {
				fill($client, \$buf) or return;
			}
			$body .= substr($buf, 0, $len, '');
			$buf =~ s/^\x0d?\x0a//;
		}

	} elsif ($head =~ /^Content-Length:[ \t]*(\d+)/mi) {
		my $len = $1;
		while (length($buf) < $len) {
			fill($client, \$buf) or return;
		}
		$body = substr($buf, 0, $len);
	}

	my $line = echo_line($body);
	my ($l, $m) = $line =~ /^len=(\d+) md5=(\S+)/;
	my $reply = "echo method=$method uri=$uri\x0a$line\x0aauth="
		. (defined $auth ? $auth : '-') . "\x0a";

	my (undef, @lines) = split /\x0a/, $head;
	for my $hl (@lines) {
		$hl =~ s/\x0d\z//;
		$hl =~ s/([^\x20-\x7e])/sprintf('\\x%02X', ord $1)/ge;
		$reply .= "hdr=$hl\x0a";
	}

	print $client "HTTP/1.1 200 OK\x0d\x0a"
		. "Content-Type: text/plain\x0d\x0a"
		. "Content-Length: " . length($reply) . "\x0d\x0a"
		. "X-Echo-Len: $l\x0d\x0a"
		. "X-Echo-Md5: $m\x0d\x0a"
		. "Connection: close\x0d\x0a\x0d\x0a"
		. $reply;
}

1;
