#!/usr/bin/perl

# Self-test of the test harness (t/lib/Test/Nginx.pm) with a plain nginx:
# requests, proxying, keepalive, a daemon, reload, and a config error.
# Uses no directive of the module, but passes TEST_NGINX_GLOBALS through.

###############################################################################

use warnings;
use strict;

use Test::More;

BEGIN { use FindBin; chdir($FindBin::Bin); }


use Test::Nginx;

use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw/time/;

###############################################################################

select STDERR; $| = 1;
select STDOUT; $| = 1;

my $conf = <<'EOF';

%%TEST_GLOBALS%%

daemon off;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    server {
        listen       127.0.0.1:8080;
        server_name  localhost;

        location / {
            return 200 "%%BODY%%";
        }

        location /conn {
            return 200 "conn=$connection req=$connection_requests";
        }

        location /proxy/ {
            proxy_pass http://127.0.0.1:8081/;
        }

        location /daemon {
            proxy_pass http://127.0.0.1:8082;
        }
    }

    server {
        listen       127.0.0.1:8081;
        server_name  localhost;

        location / {
            return 200 "backend $uri";
        }
    }
}

EOF

my $t = Test::Nginx->new()->has(qw/http proxy rewrite/);

# A configuration error, tried before plan(): each Test::Nginx object runs
# the end-of-test checks ('no alerts', ...) when it is finished, which
# must happen before the plan for all but one object.

my $t2 = Test::Nginx->new()->write_file_expand('nginx.conf', <<'EOF');

%%TEST_GLOBALS%%

daemon off;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    server {
        listen       127.0.0.1:8083;
        server_name  localhost;

        no_such_directive_here on;
    }
}

EOF

my $start = time();
my $t2_died = !eval { $t2->run(); 1 };
my $t2_time = time() - $start;
my $t2_log = $t2->read_file('error.log');
undef $t2;

$t->plan(12);

(my $c = $conf) =~ s/%%BODY%%/hello/;
$t->write_file_expand('nginx.conf', $c);

$t->run_daemon(\&daemon, port(8082));
$t->run();
$t->waitforsocket('127.0.0.1:' . port(8082))
    or die "Can't start daemon";

###############################################################################

my $r = http_get('/');
like($r, qr!^HTTP/1\.1 200 !, 'get status');
like($r, qr/\x0d\x0a\x0d\x0ahello\z/, 'get body');

like(http_head('/'), qr!^HTTP/1\.1 200 .*\x0d\x0a\x0d\x0a\z!s, 'head no body');
like(http_get('/proxy/foo'), qr!\x0d\x0a\x0d\x0abackend /foo\z!, 'proxy');
like(http_get('/daemon'), qr/\x0d\x0a\x0d\x0adaemon\z/, 'daemon');

my $p = port(8080);
ok($p != port(8081) && $t->read_file('nginx.conf') =~ /listen\s+127\.0\.0\.1:$p;/,
    'port expansion');

# keepalive: two requests over one connection

my $s = http(<<EOF, start => 1);
GET /conn HTTP/1.1
Host: localhost

EOF

my $r1 = read_response($s);
like($r1, qr/conn=\d+ req=1\z/, 'keepalive first');

my ($cn) = ($r1 // '') =~ /conn=(\d+)/;
$cn //= 'none';

like(http(<<EOF, socket => $s), qr/conn=$cn req=2\z/, 'keepalive second');
GET /conn HTTP/1.1
Host: localhost
Connection: close

EOF

# reload

($c = $conf) =~ s/%%BODY%%/reloaded/;
$t->write_file_expand('nginx.conf', $c);
$t->reload();

like(http_get('/'), qr/\x0d\x0a\x0d\x0areloaded\z/, 'reload');

# a configuration error: run() died, error.log tells why

ok($t2_died, 'config error: run dies');
cmp_ok($t2_time, '<', 5, 'config error: run fails fast');
like($t2_log, qr/\[emerg\].*unknown directive "no_such_directive_here"/,
    'config error: error.log');

###############################################################################

# read one response with Content-Length from a keepalive connection

sub read_response {
    my ($s) = @_;

    my $sel = IO::Select->new($s);
    my $buf = '';

    while ($sel->can_read(5)) {
        my $n = $s->sysread($buf, 4096, length $buf);
        last unless $n;

        next unless $buf =~ /^(.*?\x0d\x0a\x0d\x0a)/s;
        my $hlen = length $1;
        my ($len) = $1 =~ /^Content-Length:\s*(\d+)/mi;
        return $buf if defined $len && length($buf) >= $hlen + $len;
    }

    return undef;
}

sub daemon {
    my ($port) = @_;

    my $server = IO::Socket::INET->new(
        Proto     => 'tcp',
        LocalAddr => "127.0.0.1:$port",
        Listen    => 5,
        Reuse     => 1,
    ) or die "Can't create listening socket: $!\n";

    local $SIG{PIPE} = 'IGNORE';

    while (my $client = $server->accept()) {
        $client->autoflush(1);

        my $headers = '';
        while (<$client>) {
            $headers .= $_;
            last if /^\x0d?\x0a?$/;
        }

        print $client "HTTP/1.0 200 OK\x0d\x0a"
            . "Content-Type: text/plain\x0d\x0a\x0d\x0a"
            . "daemon";

        close $client;
    }
}

###############################################################################
