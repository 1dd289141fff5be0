#!/usr/bin/perl

# ngx-onlyoffice-jwt: the ready-to-use configurations of nginx-conf/, loaded as they ship
# (with TLS, ports and the secret's path changed for the test), in front of an echo backend
# that stands in for the Document Server, for seahub and for Nextcloud.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

###############################################################################

my $SECRET = 'shipped-0123456789abcdef0123456789abcdef';

# shipped($file, $listen, $backend): a file of nginx-conf/ made fit for the test.
sub shipped {
	my ($file, $listen, $backend) = @_;
	open my $fh, '<', "../nginx-conf/$file" or die "Can't open nginx-conf/$file: $!\n";
	local $/;
	my $conf = <$fh>;
	close $fh;

	$conf =~ s/^\s*listen\s+443\s+ssl;.*$/        listen 127.0.0.1:$listen;/m
		or die "no listen line in $file\n";
	$conf =~ s/^\s*ssl_certificate.*$//mg;
	$conf =~ s{/etc/nginx/onlyoffice\.secret}{%%TESTDIR%%/onlyoffice.secret}g;
	$conf =~ s{127\.0\.0\.1:(?:6233|8000|11000)}{127.0.0.1:$backend}g;
	return $conf;
}

my $ds = shipped('documentserver.conf', 8080, 8081);
my $seafile = shipped('seafile.conf', 8082, 8081);
my $nextcloud = shipped('nextcloud.conf', 8083, 8081);

my $t = Test::Nginx->new()->has(qw/http proxy map/)->plan(23)
	->write_file_expand('nginx.conf', http_conf($ds, $seafile, $nextcloud));

$t->write_file('onlyoffice.secret', "# the shared secret\n$SECRET\n");
run_with_echo_backend($t);

###############################################################################

my $ds_port = port(8080);
my $seafile_port = port(8082);
my $nextcloud_port = port(8083);

sub post {
	my ($port, $uri, $body, @headers) = @_;
	return http_req('POST', $uri, body => $body,
		headers => [ 'Content-Type: application/json', @headers ],
		PeerAddr => "127.0.0.1:$port");
}

# the Document Server side

my $r = http_req('GET', '/web-apps/apps/api/documents/api.js',
	PeerAddr => "127.0.0.1:$ds_port");
is(status_of($r), 200, 'documentserver: static file passes unchecked');

$r = http_req('GET', '/8.2.0-1/doc/a1b2c3/c/?EIO=4&transport=websocket',
	headers => [ 'Upgrade: websocket', 'Connection: Upgrade' ],
	PeerAddr => "127.0.0.1:$ds_port");
is(status_of($r), 200, 'documentserver: co-editing socket passes unchecked');

# The Document Server builds its links from X-Forwarded-Host: the host and port the client
# asked for (this server listens on a port other than 80 and 443), else what an outer proxy
# set.
sub forwarded_host {
	my ($r) = @_;
	my ($line) = grep { /^X-Forwarded-Host:/i }
		map { /^hdr=(.*)\z/ ? $1 : () } split /\x0a/, body_of($r) // '';
	return $line // '';
}

my $api = '/web-apps/apps/api/documents/api.js';

$r = http("GET $api HTTP/1.1\r\nHost: office.example.com:$ds_port\r\n"
	. "Connection: close\r\n\r\n", PeerAddr => "127.0.0.1:$ds_port");
is(forwarded_host($r), "X-Forwarded-Host: office.example.com:$ds_port",
	'documentserver: X-Forwarded-Host keeps the port the client asked for');

$r = http("GET $api HTTP/1.1\r\nHost: localhost:$ds_port\r\n"
	. "X-Forwarded-Host: office.example.com:8443\r\nConnection: close\r\n\r\n",
	PeerAddr => "127.0.0.1:$ds_port");
is(forwarded_host($r), 'X-Forwarded-Host: office.example.com:8443',
	'documentserver: X-Forwarded-Host of an outer proxy is kept');

$r = http("GET $api HTTP/1.0\r\n\r\n", PeerAddr => "127.0.0.1:$ds_port");
is(forwarded_host($r), 'X-Forwarded-Host: office.example.com',
	'documentserver: without a Host header, the server name');

my $command = '{"c":"info","key":"a1b2c3d4e5f6a7b8c9d0"}';
$r = post($ds_port, '/command', $command);
is(status_of($r), 401, 'documentserver: command without a token');

my $body = json({ token => jwt($SECRET, { c => 'info', key => 'a1b2c3d4e5f6a7b8c9d0' }) });
$r = post($ds_port, '/command', $body);
is(status_of($r), 200, 'documentserver: command with a body token');
like($r, echo_of($body), 'documentserver: the Document Server got the same body');

$r = post($ds_port, '/8.2.0-1/CoAuthoring/CommandService.ashx/', $command);
is(status_of($r), 401, 'documentserver: prefixed, mixed-case command path is checked');

my %convert = (url => 'https://seafile.example.com/seafhttp/files/t/a.docx',
	outputtype => 'pdf', filetype => 'docx', title => 'a.docx', key => 'k1');
my $convert_token = jwt($SECRET, \%convert);
$r = post($ds_port, '/ConvertService.ashx', json({ %convert, token => $convert_token }),
	'Authorization: Bearer '
		. jwt($SECRET, { payload => { %convert, token => $convert_token } }));
is(status_of($r), 200, 'documentserver: seahub conversion request');

my $editor = jwt($SECRET, {
	document => { fileType => 'docx', key => 'k1', title => 'a.docx',
		url => $convert{url} },
	documentType => 'word',
	editorConfig => { callbackUrl => 'https://seafile.example.com/onlyoffice/editor-callback/',
		mode => 'edit' },
	exp => time() + 3 * 86400 });
$r = post($ds_port, '/converter', json({ token => $editor }));
is(status_of($r), 403, 'documentserver: editor token replayed at the converter');

# the seahub side

my %fields = (key => 'a1b2c3d4e5f6a7b8c9d0', status => 2,
	url => 'https://office.example.com/cache/files/data/a1b2c3d4e5f6a7b8c9d0_1/output.docx',
	users => [ 'alice@example.com' ],
	actions => [ { type => 0, userid => 'alice@example.com' } ]);
my $header = 'Authorization: Bearer ' . jwt($SECRET, { payload => \%fields }, ttl => 300);
my $genuine = json({ %fields, token => jwt($SECRET, \%fields, ttl => 300) });
my $forged = json({ %fields, url => 'http://attacker.example/evil.docx' });

$r = post($seafile_port, '/onlyoffice/editor-callback/', $forged);
is(status_of($r), 401, 'seafile: forged callback without a token');

$r = post($seafile_port, '/onlyoffice/editor-callback/', $forged, $header);
is(status_of($r), 403, 'seafile: forged body under a genuine header token');

$r = post($seafile_port, '/onlyoffice/editor-callback/?doc=1', $genuine, $header);
is(status_of($r), 200, 'seafile: genuine callback');
like($r, echo_of($genuine), 'seafile: seahub got the same body');

$r = http_req('GET', '/library/', PeerAddr => "127.0.0.1:$seafile_port");
is(status_of($r), 200, 'seafile: the rest of seahub is not checked');

$r = post($seafile_port, '/onlyoffice/editor-callback/', $genuine,
	'Authorization: Bearer ' . jwt('another-secret-0123456789abcdef0123', { payload => \%fields },
		ttl => 300));
is(status_of($r), 401, 'seafile: header token of another secret');

# the Nextcloud side: the ONLYOFFICE app's routes, the tokens in AuthorizationJwt

my $doc = jwt($SECRET, { action => 'track', fileId => 4711, userId => 'alice' });
my $nc_header = 'AuthorizationJwt: Bearer '
	. jwt($SECRET, { payload => \%fields }, ttl => 300);

$r = post($nextcloud_port, "/apps/onlyoffice/track?doc=$doc", $forged);
is(status_of($r), 401, 'nextcloud: forged callback without a token');

$r = post($nextcloud_port, "/index.php/apps/onlyoffice/track?doc=$doc", $genuine, $nc_header);
is(status_of($r), 200, 'nextcloud: genuine callback');
like($r, echo_of($genuine), 'nextcloud: Nextcloud got the same body');

my $dl = '/apps/onlyoffice/download?doc='
	. jwt($SECRET, { action => 'download', fileId => 4711, userId => 'alice' });
my $dl_token = jwt($SECRET, { payload => { url => "https://cloud.example.com$dl" } },
	ttl => 300);
$r = http_req('GET', $dl, headers => [ "AuthorizationJwt: Bearer $dl_token" ],
	PeerAddr => "127.0.0.1:$nextcloud_port");
is(status_of($r), 200, 'nextcloud: download with its url token');

$r = http_req('GET', $dl, headers => [ "Authorization: Bearer $dl_token" ],
	PeerAddr => "127.0.0.1:$nextcloud_port");
is(status_of($r), 401, 'nextcloud: download token in Authorization, not AuthorizationJwt');

$r = http_req('GET', '/apps/files/', PeerAddr => "127.0.0.1:$nextcloud_port");
is(status_of($r), 200, 'nextcloud: the rest of Nextcloud is not checked');

###############################################################################
