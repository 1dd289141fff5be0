#!/usr/bin/perl

# ngx-onlyoffice-jwt: docs/seafile-docker.md, as the page shows it, in a configuration laid
# out as in Seafile 13.0 and 14.0's Docker images (haiwen/seafile-docker: the Dockerfiles
# move services/nginx.conf to /etc/nginx/nginx.conf and services/seafile.nginx.conf to
# /etc/nginx/sites-enabled/seafile.nginx.conf). The page's nginx block and its Dockerfile's
# edits are read from the page itself, so the page and this test cannot drift: the edits
# (the Dockerfile's `sed -i` commands) are run with sed on the image's two files, the nginx
# block is the file the Dockerfile copies to /etc/nginx/, and nginx is started with the
# result (its `nginx -t` and more), an echo backend standing in for seahub. Then forged
# callbacks are refused and genuine ones, shaped as the Document Server posts them, reach
# seahub unchanged.
#
# For the test: /etc/nginx/ and /shared/ are the test directory and a shared/ in it, port 80
# is a port of the test, seahub (127.0.0.1:8000) is the echo backend, IPv6 listens are left
# out, and nginx.conf's `user www-data;`, `error_log off;` and the page's load_module line
# are replaced (the harness's user and error log; the harness loads the module from
# TEST_NGINX_GLOBALS, and a second load_module of it would be an error).

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

use File::Basename qw/ basename dirname /;
use File::Path qw/ make_path /;

###############################################################################

my $SECRET = 'seafile-docker-0123456789abcdef0123456789ab';
my $OTHER = 'another-secret-0123456789abcdef0123456789ab';

# The page: its fenced blocks, by language
open my $fh, '<', '../docs/seafile-docker.md' or die "Can't open docs/seafile-docker.md: $!\n";
my $page = do { local $/; <$fh> };
close $fh;

my @blocks;
push @blocks, [ $1, $2 ] while $page =~ /^```(\w+)\n(.*?)^```$/msg;

# nginx blocks: each starts with "# /etc/nginx/NAME:", the file it is
my %nginx_file;
for my $b (grep { $_->[0] eq 'nginx' } @blocks) {
	my ($path) = $b->[1] =~ m{\A# (/etc/nginx/[^\s:]+):}
		or die "an nginx block of docs/seafile-docker.md names no /etc/nginx/ file:\n$b->[1]";
	$nginx_file{$path} = $b->[1];
}

my @dockerfiles = map { $_->[1] } grep { $_->[0] eq 'dockerfile' } @blocks;
@dockerfiles == 1 or die "docs/seafile-docker.md shows " . @dockerfiles . " Dockerfiles\n";
my $dockerfile = $dockerfiles[0];

# The Dockerfile's COPY lines, its `sed -i 'SCRIPT' FILE` edits and its `grep -qx 'LINE'
# FILE` check
my %copy;    # destination => source
while ($dockerfile =~ /^COPY (--from=\S+ )?(\S+) (\S+)$/mg) {
	my ($from, $src, $dst) = ($1, $2, $3);
	$dst .= basename($src) if $dst =~ m{/\z};
	$copy{$dst} = ($from // '') . $src;
}
my @seds;
push @seds, [ $1, $2 ] while $dockerfile =~ /\bsed -i '([^']*)' (\S+)/g;
my ($grep_line, $grep_file) = $dockerfile =~ /\bgrep -qx '([^']*)' (\S+)/
	or die "no grep -qx check in the Dockerfile of docs/seafile-docker.md\n";
my ($so) = grep { $copy{$_} =~ /^--from=/ && /\.so\z/ } keys %copy;

###############################################################################

# The image's two files, as services/nginx.conf and services/seafile.nginx.conf have them
# (haiwen/seafile-docker, master at 7ab3682f, May 2026; laid out here, not copied).

my %image;

$image{'/etc/nginx/nginx.conf'} = <<'EOF';
daemon off;
user www-data;
worker_processes auto;

events {
    worker_connections 10000;
}

http {
    include /etc/nginx/mime.types;
    server_names_hash_bucket_size 256;
    server_names_hash_max_size 1024;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    types_hash_max_size 2048;
    log_format seafileformat '$http_x_forwarded_for $remote_addr [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $upstream_response_time';
    access_log off;
    error_log off;
    server_tokens off;
    gzip on;
    gzip_types text/plain text/css application/javascript application/json text/javascript;

    include /etc/nginx/sites-enabled/*;

    # anything that is not the Seafile server
    server {
        listen 80;
        location / {
            return 444;
        }
    }
}
EOF

$image{'/etc/nginx/sites-enabled/seafile.nginx.conf'} = <<'EOF';
server {
    listen 80;
    listen [::]:80 ipv6only=on;
    client_max_body_size 10m;

    # seahub
    location / {
        proxy_pass http://127.0.0.1:8000/;
        proxy_read_timeout 310s;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Host $server_name;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header Connection "";
        proxy_http_version 1.1;
        add_header Access-Control-Allow-Origin *;
        client_max_body_size 0;
        access_log /shared/seafile/logs/seahub.access.log seafileformat;
        error_log /shared/seafile/logs/seahub.error.log;
    }

    # the file server
    location /seafhttp {
        rewrite ^/seafhttp(.*)$ $1 break;
        proxy_pass http://127.0.0.1:8082;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        client_max_body_size 0;
        proxy_read_timeout 36000s;
        proxy_buffering off;
        proxy_request_buffering off;
        access_log /shared/seafile/logs/seafhttp.access.log seafileformat;
        error_log /shared/seafile/logs/seafhttp.error.log;
    }

    # WebDAV
    location /seafdav {
        rewrite ^/seafdav$ /seafdav/ permanent;
    }
    location /seafdav/ {
        proxy_pass http://127.0.0.1:8080/seafdav/;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Host $server_name;
        proxy_read_timeout 1200s;
        client_max_body_size 0;
        access_log /shared/seafile/logs/seafdav.access.log seafileformat;
        error_log /shared/seafile/logs/seafdav.error.log;
    }
    location /:dir_browser {
        proxy_pass http://127.0.0.1:8080/:dir_browser;
    }

    location /media {
        root /opt/seafile/seafile-server-latest/seahub;
    }
}
EOF

###############################################################################

my $t = Test::Nginx->new()->has(qw/http proxy rewrite gzip/)->plan(19);
my $dir = $t->testdir();

# /etc/nginx/X is $dir/X, /shared/X is $dir/shared/X
sub here {
	my ($path) = @_;
	$path =~ s{^/etc/nginx/}{$dir/} or $path =~ s{^/shared/}{$dir/shared/}
		or die "$path: neither in /etc/nginx nor in /shared\n";
	return $path;
}

sub localize {
	my ($text) = @_;
	$text =~ s{/etc/nginx/}{%%TESTDIR%%/}g;
	$text =~ s{/shared/}{%%TESTDIR%%/shared/}g;
	$text =~ s{^([ \t]*)listen 80;}{${1}listen 127.0.0.1:8090;}mg;
	$text =~ s{^[ \t]*listen \[::\]:80\b.*\n}{}mg;
	return $text;
}

is_deeply([ sort keys %nginx_file ], [ '/etc/nginx/onlyoffice-jwt.conf' ],
	'the page shows one nginx file, /etc/nginx/onlyoffice-jwt.conf');

is($copy{'/etc/nginx/onlyoffice-jwt.conf'}, 'onlyoffice-jwt.conf',
	'the Dockerfile copies it to /etc/nginx/onlyoffice-jwt.conf');

is_deeply([ map { $_->[1] } @seds ],
	[ '/etc/nginx/nginx.conf', '/etc/nginx/sites-enabled/seafile.nginx.conf' ],
	'the Dockerfile edits nginx.conf and sites-enabled/seafile.nginx.conf');

# The image's files, edited by the Dockerfile's sed commands (GNU sed, as Ubuntu's)
make_path("$dir/image/sites-enabled", "$dir/sites-enabled", "$dir/shared/seafile/logs");
my %edited;
for my $path (sort keys %image) {
	my $file = "$dir/image/" . ($path =~ s{^/etc/nginx/}{}r);
	$t->write_file("image/" . ($path =~ s{^/etc/nginx/}{}r), $image{$path});
	for my $s (grep { $_->[1] eq $path } @seds) {
		system('sed', '-i', $s->[0], $file) == 0 or die "sed -i '$s->[0]' failed\n";
	}
	$edited{$path} = $t->read_file("image/" . ($path =~ s{^/etc/nginx/}{}r));
}

# nginx.conf: the page's load_module line first, for the .so the Dockerfile puts there
my ($first, $rest) = split /\n/, $edited{'/etc/nginx/nginx.conf'}, 2;
is($first, 'load_module ' . ($so // '(no .so copied from the build stage)') . ';',
	'nginx.conf starts with the load_module line of the module the image holds');

# seafile.nginx.conf: the include, first in its server {}, as the Dockerfile's check wants
my $seafile = $edited{$grep_file} // '';
like($seafile, qr/\Aserver \{\n\Q$grep_line\E\n    listen 80;\n/,
	'seafile.nginx.conf includes the file first in its server {}');

# The harness's globals instead of the page's load_module line (TEST_NGINX_GLOBALS loads
# the module: loading it twice would be an error), `user www-data;` (the harness picks
# the user) and `error_log off;` (the harness reads error.log)
$rest =~ s/^user www-data;\n//m or die "no user line in the image's nginx.conf\n";
$rest =~ s/^[ \t]*error_log off;\n//m or die "no error_log off in the image's nginx.conf\n";
$rest =~ s/^http \{\n/http {\n    %%TEST_GLOBALS_HTTP%%\n/m or die "no http {} in nginx.conf\n";
$t->write_file_expand('nginx.conf',
	"# the page's load_module line was here; the module comes from TEST_NGINX_GLOBALS\n"
	. "%%TEST_GLOBALS%%\n" . localize($rest));
$t->write_file_expand('sites-enabled/seafile.nginx.conf', localize($seafile));
$t->write_file_expand('onlyoffice-jwt.conf',
	localize($nginx_file{'/etc/nginx/onlyoffice-jwt.conf'}));
$t->write_file('mime.types', "types {\n    text/html html;\n    application/json json;\n}\n");

# The secret file where the page puts it
my ($secret_file) = $nginx_file{'/etc/nginx/onlyoffice-jwt.conf'}
	=~ /^\s*onlyoffice_jwt_secret_file (\S+);/m;
make_path(dirname(here($secret_file)));
open my $sf, '>', here($secret_file) or die "Can't create $secret_file here: $!\n";
print $sf "$SECRET\n";
close $sf;

ok(eval { run_with_echo_backend($t, 8000); 1 },
	'nginx starts with the image\'s configuration and the page\'s changes')
	or diag($@);

###############################################################################

my $port = port(8090);

sub request {
	my ($method, $uri, $body, @headers) = @_;
	my $req = "$method $uri HTTP/1.1\r\nHost: seafile.example.com\r\n"
		. "Connection: close\r\n";
	$req .= "$_\r\n" for @headers;
	$req .= defined $body
		? "Content-Type: application/json\r\nContent-Length: " . length($body)
			. "\r\n\r\n$body"
		: "\r\n";
	return http($req, PeerAddr => "127.0.0.1:$port");
}

sub log_of {
	my ($path) = @_;
	open my $fh, '<', here($path) or return '';
	local $/;
	return <$fh> // '';
}

# A save callback (status 2) as the Document Server posts it: both tokens
my $KEY = '2c1f0ab7d4e8a9f3b6c5';
my $fields = ds_obj(
	key => $KEY,
	status => 2,
	url => "https://seafile.example.com:6233/cache/files/data/${KEY}_7301/output.docx/output.docx?md5=p2sNH4-ZrRGB0pLAhkkyHg&expires=1767225600&filename=output.docx",
	changesurl => "https://seafile.example.com:6233/cache/files/data/${KEY}_7301/changes.zip/changes.zip?md5=dm0a1zWjhmF2sJtBd8Pvww&expires=1767225600&filename=changes.zip",
	history => ds_obj(serverVersion => '8.1.0', changes => [ ds_obj(
		created => '2025-12-05 10:39:10', user => ds_obj(id => 'alice@example.com',
			name => 'alice')) ]),
	users => [ 'alice@example.com' ],
	actions => [ ds_obj(type => 0, userid => 'alice@example.com') ],
	lastsave => '2025-12-05T10:39:10.000Z',
	notmodified => JSON::PP::false,
	filetype => 'docx',
);
my $cb = ds_callback($SECRET, $fields);
my $forged = ds_posted_body(ds_with($fields, url => 'http://attacker.example/evil.docx'));
my $CALLBACK = '/onlyoffice/editor-callback/';

my $r = request('POST', $CALLBACK, $forged);
is(status_of($r), 401, 'forged callback without a token: 401');
is(header_of($r, 'WWW-Authenticate'), 'Bearer realm="onlyoffice"',
	'forged callback: WWW-Authenticate');
like(log_of('/shared/seafile/logs/seahub.error.log'),
	qr/\[info\].*onlyoffice_jwt: no token, profile "callback", answering 401/,
	'the refusal is in seahub.error.log, as the page says');

$r = request('POST', '//onlyoffice//editor-callback/', $forged);
is(status_of($r), 401, 'forged callback at //onlyoffice//editor-callback/: 401');

$r = request('POST', $CALLBACK, $forged, $cb->{auth});
is(status_of($r), 403, 'forged body under a genuine header token: 403');

my $other = ds_callback($OTHER, $fields);
$r = request('POST', $CALLBACK, $other->{body}, $other->{auth});
is(status_of($r), 401, 'callback signed with another secret: 401');

my $old = ds_callback($SECRET, $fields, iat => time() - 400);
$r = request('POST', $CALLBACK, $old->{body}, $old->{auth});
is(status_of($r), 401, 'callback whose tokens expired: 401');

$r = request('POST', $CALLBACK, $cb->{body}, $cb->{auth});
is(status_of($r), 200, 'genuine callback: 200');
like($r, echo_of($cb->{body}), 'genuine callback: seahub got the body unchanged');
like($r, qr/^echo method=POST uri=\Q$CALLBACK\E$/m, 'genuine callback: at seahub\'s URL');
like($r, qr/^hdr=Host: seafile\.example\.com$/m,
	'genuine callback: seahub got the Host the client sent');
# nginx writes the access log line as the request ends, which may be after the response
my $logged = '';
for (1 .. 20) {
	$logged = log_of('/shared/seafile/logs/seahub.access.log');
	last if $logged =~ /"POST \Q$CALLBACK\E HTTP\/1\.1" 200 /;
	select undef, undef, undef, 0.1;
}
like($logged,
	qr/"POST \Q$CALLBACK\E HTTP\/1\.1" 200 /,
	'genuine callback: in seahub.access.log');

$r = request('GET', '/library/');
like($r, qr/^echo method=GET uri=\/library\/$/m, 'the rest of seahub passes unchecked');

###############################################################################
