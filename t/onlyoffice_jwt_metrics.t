#!/usr/bin/perl

# ngx-onlyoffice-jwt: the counters of onlyoffice_jwt_metrics. Known traffic through two
# workers (listen ... reuseport spreads the connections; the access log shows both pids),
# then the counters, parsed with prometheus_client's text parser (t/lib/prom_parse.py,
# python3-prometheus-client), must be that traffic: by profile and outcome, refused and
# dry-run reasons, body bytes read for tokens, public-key cache lookups; after a reload
# (nginx -s reload) they go on from there. The zone is one 64 KB shared mapping.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

use File::Spec;
no warnings 'portable';    # 64-bit addresses in /proc/PID/maps
use IPC::Open2;

###############################################################################

my $SECRET = 'metrics-0123456789abcdef0123456789abcdef';
my $OTHER = 'forged-0123456789abcdef0123456789abcdef01';

my $proxy = "proxy_pass http://127.0.0.1:%%PORT_8081%%;";

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(36);
my $d = $t->testdir();

openssl_keypair($d, 'rsa', qw/-algorithm RSA -pkeyopt rsa_keygen_bits:2048/);

$t->write_file_expand('nginx.conf', http_conf({ main => 'worker_processes 2;' }, <<"EOF",
    log_format pids '\$pid \$uri \$onlyoffice_jwt_status';
    onlyoffice_jwt_secret $SECRET;
EOF
	<<"EOF"));
    server {
        listen 127.0.0.1:%%PORT_8080%% reuseport;
        server_name localhost;
        access_log %%TESTDIR%%/pids.log pids;

        location /bearer { onlyoffice_jwt bearer; $proxy }
        location /callback { onlyoffice_jwt callback; $proxy }
        location /dry { onlyoffice_jwt callback; onlyoffice_jwt_dry_run on; $proxy }
        location /ds/ { onlyoffice_jwt documentserver; $proxy }
        location /rsa {
            onlyoffice_jwt bearer;
            onlyoffice_jwt_key_file %%TESTDIR%%/rsa.pub;
            onlyoffice_jwt_algorithms RS256;
            $proxy
        }
        location = /metrics { onlyoffice_jwt_metrics; }
    }
EOF

run_with_echo_backend($t);

###############################################################################

my $good = jwt($SECRET, { sub => 'alice' }, ttl => 300);
my $forged = jwt($OTHER, { sub => 'mallory' }, ttl => 300);
my $rsa = key_tool('sign', 'RS256', "$d/rsa.key", json({ sub => 'r', exp => time() + 300 }));

sub cb {
	my ($secret, $key) = @_;
	return ds_callback($secret, ds_obj(key => $key, status => 2,
		url => "https://ds.example.com/cache/files/data/$key/output.docx/output.docx",
		changesurl => "https://ds.example.com/cache/files/data/$key/changes.zip/changes.zip",
		users => ['u1'], actions => [ ds_obj(type => 0, userid => 'u1') ]));
}

# the traffic; returns the body bytes it posted to body-token profiles
sub traffic {
	my ($n) = @_;
	my $bytes = 0;
	for (1 .. $n) {
		http_req('GET', '/bearer', headers => [ "Authorization: Bearer $good" ]);
	}
	for (1 .. 10) {
		http_req('GET', '/bearer', headers => [ "Authorization: Bearer $forged" ]);
	}
	for (1 .. 5) {
		http_req('GET', '/bearer');
	}
	for my $i (1 .. 4) {
		my $cb = cb($SECRET, "key$i");
		http_req('POST', '/callback', body => $cb->{body}, headers => [ $cb->{auth} ]);
		$bytes += length $cb->{body};
	}
	for my $i (1 .. 3) {
		my $cb = cb($OTHER, "dry$i");
		http_req('POST', '/dry', body => $cb->{body}, headers => [ $cb->{auth} ]);
		$bytes += length $cb->{body};
	}
	my $cmd = '{"c":"info","key":"k"}';
	http_req('POST', '/ds/coauthoring/CommandService.ashx', body => $cmd,
		headers => [ 'Authorization: Bearer '
			. jwt($SECRET, { payload => { c => 'info', key => 'k' } }, ttl => 300) ]);
	$bytes += length $cmd;
	for (1 .. 6) {
		http_req('GET', '/rsa', headers => [ "Authorization: Bearer $rsa" ]);
	}
	return $bytes;
}

# the counters as prom_parse.py prints them: { "name label=value,..." => value }
sub metrics {
	my $r = http_req('GET', '/metrics');
	my $text = body_of($r) // '';
	my $tool = File::Spec->rel2abs('lib/prom_parse.py');
	my $python = (grep {
		system("$_ -c 'import prometheus_client' >/dev/null 2>&1") == 0
	} 'python3', '/usr/bin/python3')[0]
		// die "no python3 with prometheus_client (python3-prometheus-client)\n";
	my $pid = open2(my $out, my $in, $python, $tool) or die "cannot run $tool\n";
	print $in $text;
	close $in;
	my %m;
	my %type;
	while (my $line = <$out>) {
		chomp $line;
		my ($type, $name, $labels, $value) = split / /, $line;
		$m{"$name $labels"} = $value;
		$type{$name} = $type;
	}
	waitpid($pid, 0);
	return { status => status_of($r), type => header_of($r, 'Content-Type'),
		parsed => $? == 0, m => \%m, types => \%type };
}

sub slurp {
	my ($path) = @_;
	open my $fh, '<', $path or die "Can't open $path: $!\n";
	local $/;
	return scalar <$fh>;
}

sub req_total {
	my ($m, $profile, $outcome, $reason) = @_;
	my $labels = "outcome=$outcome,profile=$profile"
		. (defined $reason ? ",reason=$reason" : '');
	return $m->{m}{"onlyoffice_jwt_requests_total $labels"};
}

my $bytes = traffic(20);
my $m = metrics();

is($m->{status}, 200, 'metrics: 200');
like($m->{type}, qr{^text/plain; version=0\.0\.4}, 'metrics: the text format');
ok($m->{parsed}, 'metrics: prometheus_client parses it');
is($m->{types}{onlyoffice_jwt_requests_total}, 'counter', 'metrics: requests are a counter');

is(req_total($m, 'bearer', 'accepted'), 20 + 6, 'bearer accepted (HS256 and RS256)');
is(req_total($m, 'bearer', 'refused', 'signature'), 10, 'bearer refused: signature');
is(req_total($m, 'bearer', 'refused', 'missing'), 5, 'bearer refused: missing');
is(req_total($m, 'bearer', 'dry_run', 'signature'), 0, 'bearer: no dry run');
is(req_total($m, 'callback', 'accepted'), 4, 'callback accepted');
is(req_total($m, 'callback', 'dry_run', 'signature'), 3, 'callback: refused in the dry run');
is(req_total($m, 'callback', 'refused', 'signature'), 0, 'callback: none refused');
is(req_total($m, 'command', 'accepted'), 1, 'documentserver counted as command');
is(req_total($m, 'convert', 'accepted'), 0, 'convert: none');
my $sum = 0;
$sum += $m->{m}{$_} for grep { /^onlyoffice_jwt_body_bytes_total / } keys %{$m->{m}};
is($sum, $bytes, 'body bytes read for tokens');
is($m->{m}{'onlyoffice_jwt_body_bytes_total profile=bearer'}, 0, 'no body bytes for bearer');
my $hits = $m->{m}{'onlyoffice_jwt_key_cache_lookups_total result=hit'};
my $misses = $m->{m}{'onlyoffice_jwt_key_cache_lookups_total result=miss'};
is($hits + $misses, 6, 'public-key cache: one lookup per RS256 request');
ok($misses >= 1 && $misses <= 2, "public-key cache: a miss per worker at most ($misses)");

my %pids = map { (split / /)[0] => 1 } split /\n/, $t->read_file('pids.log');
is(scalar(keys %pids), 2, 'the traffic went through both workers');

is(status_of(http_req('POST', '/metrics', body => 'x')), 405, 'metrics: POST is 405');
my $head = http_req('HEAD', '/metrics');
is(status_of($head), 200, 'metrics: HEAD is 200');
ok(header_of($head, 'Content-Length') > 0 && body_of($head) eq '',
	'metrics: HEAD gets the length, no body');

# the zone: one shared mapping of 64 KB in the master
my $master = $t->read_file('nginx.pid');
chomp $master;
my @shared = grep { (split / /)[1] =~ /s$/ } split /\n/, slurp("/proc/$master/maps");
my @sizes = map { my ($a, $b) = /^([0-9a-f]+)-([0-9a-f]+)/; hex($b) - hex($a) } @shared;
is(scalar(grep { $_ == 65536 } @sizes), 1, 'the zone is one 64 KB shared mapping');
my $total = 0;
$total += $_ for @sizes;
ok($total <= 65536 + 16 * 4096, "shared memory of nginx in all: $total bytes");

###############################################################################

# a reload keeps the counts
ok(reload_and_wait($t), 'reload');
$bytes += traffic(5);
$m = metrics();
ok($m->{parsed}, 'after reload: prometheus_client parses it');
is(req_total($m, 'bearer', 'accepted'), 25 + 12, 'after reload: bearer accepted');
is(req_total($m, 'bearer', 'refused', 'signature'), 20, 'after reload: signature');
is(req_total($m, 'bearer', 'refused', 'missing'), 10, 'after reload: missing');
is(req_total($m, 'callback', 'accepted'), 8, 'after reload: callback accepted');
is(req_total($m, 'callback', 'dry_run', 'signature'), 6, 'after reload: dry run');
is(req_total($m, 'command', 'accepted'), 2, 'after reload: command');
$sum = 0;
$sum += $m->{m}{$_} for grep { /^onlyoffice_jwt_body_bytes_total / } keys %{$m->{m}};
is($sum, $bytes, 'after reload: body bytes');
$hits = $m->{m}{'onlyoffice_jwt_key_cache_lookups_total result=hit'};
$misses = $m->{m}{'onlyoffice_jwt_key_cache_lookups_total result=miss'};
is($hits + $misses, 12, 'after reload: cache lookups');

# the metrics location itself is not counted
$m = metrics();
is(req_total($m, 'bearer', 'accepted'), 25 + 12, 'reading the counters counts nothing');

# the zone is the same after the reload: still one 64 KB mapping in the master
@shared = grep { (split / /)[1] =~ /s$/ } split /\n/, slurp("/proc/$master/maps");
@sizes = map { my ($a, $b) = /^([0-9a-f]+)-([0-9a-f]+)/; hex($b) - hex($a) } @shared;
is(scalar(grep { $_ == 65536 } @sizes), 1, 'after reload: one 64 KB zone');

my $lines = () = grep { /^onlyoffice_jwt_requests_total/ } keys %{$m->{m}};
is($lines, 6 * (1 + 2 * 13), 'every profile, outcome and reason has a series');

###############################################################################
