#!/usr/bin/perl

# ngx-onlyoffice-jwt: nginx-conf/nextcloud.conf, loaded as it ships (TLS, the port and the
# secret's path changed for the test), in front of an echo backend that stands in for
# Nextcloud with the ONLYOFFICE app (onlyoffice-nextcloud). Requests are shaped as the
# Document Server sends them to the app: save callbacks POSTed to the app's track route
# and documents fetched from its download and empty routes, each with the app's "doc"
# argument, in the pretty and the /index.php form of the URL, the tokens in the
# AuthorizationJwt header (and the callback's body token), signed here with Digest::SHA as
# the Document Server signs them; then forged and misdirected ones.

###############################################################################

BEGIN { use FindBin; chdir($FindBin::Bin); }

use Test::Nginx::OnlyofficeJWT;    # also strict, warnings, Test::More, Test::Nginx
use Test::Nginx::EchoBackend;

use JSON::PP;

###############################################################################

my $SECRET = 'nc-0123456789abcdef0123456789abcdef-secret';
my $OTHER = 'xx-0123456789abcdef0123456789abcdef-other';

# nginx-conf/nextcloud.conf made fit for the test, with $onlyoffice_jwt_error in X-Err
sub nextcloud_conf {
	open my $fh, '<', '../nginx-conf/nextcloud.conf'
		or die "Can't open nginx-conf/nextcloud.conf: $!\n";
	local $/;
	my $conf = <$fh>;
	close $fh;

	my $listen = "        listen 127.0.0.1:8080;\n"
		. "        add_header X-Err \$onlyoffice_jwt_error always;";
	$conf =~ s/^\s*listen\s+443\s+ssl;.*$/$listen/m
		or die "no listen line in nextcloud.conf\n";
	$conf =~ s/^\s*ssl_certificate.*$//mg;
	$conf =~ s{/etc/nginx/onlyoffice\.secret}{%%TESTDIR%%/onlyoffice.secret}g
		or die "no secret file in nextcloud.conf\n";
	$conf =~ s{127\.0\.0\.1:11000}{127.0.0.1:8081}g
		or die "no upstream in nextcloud.conf\n";
	return $conf;
}

my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(80)
	->write_file_expand('nginx.conf', http_conf(nextcloud_conf()));

$t->write_file('onlyoffice.secret', "$SECRET\n");
run_with_echo_backend($t);

###############################################################################

# What the app and the Document Server would send.

my $NC = 'https://cloud.example.com';
my $DS = 'https://office.example.com';
my $INSTANCE = 'ocx7k2m9p4q1';               # Nextcloud's instanceid
my $USER = "${INSTANCE}_alice";              # the user id the app gives the editor
my $KEY = '2419374619';                      # the app's document key (a crc32)

# "doc": the app's own HS256 token (firebase/php-jwt: typ before alg, no exp), signed with
# the Document Server's secret when one is set
sub app_doc {
	return jwt_raw($SECRET, '{"typ":"JWT","alg":"HS256"}', ds_json(ds_obj(@_)), 'HS256');
}

my $DOC_TRACK = app_doc(userId => 'alice', ownerId => 'alice', fileId => 4711,
	filePath => undef, shareToken => undef, action => 'track');
my $DOC_DL = app_doc(action => 'download', fileId => 4711, userId => 'alice');
my $DOC_DL2 = app_doc(action => 'download', fileId => 4712, userId => 'alice');
my $DOC_EMPTY = app_doc(action => 'empty');

my $TRACK = "/apps/onlyoffice/track?doc=$DOC_TRACK";
my $TRACK_PHP = "/index.php/apps/onlyoffice/track?doc=$DOC_TRACK";

sub signed_url {
	my ($name) = @_;
	return "$DS/cache/files/data/${KEY}_8312/$name/$name"
		. '?md5=Qx3Jt0dWkVbLhP7yC0aRZg&expires=1735733700&filename=' . $name;
}

# a long editing session: enough changes that the header token passes 7168 characters
sub history {
	return ds_obj(
		serverVersion => '8.2.0',
		changes => [ map { ds_obj(
			created => sprintf('2025-01-01 %02d:%02d:%02d', 9 + int($_ / 60), $_ % 60, $_ % 50),
			user => ds_obj(id => $USER, name => 'alice'),
		) } 0 .. 99 ],
	);
}

# the callback object (OutputSfcData member order) for a status
sub fields {
	my ($status) = @_;

	return ds_obj(key => $KEY, status => 1, users => [$USER],
		actions => [ ds_obj(type => 1, userid => $USER) ]) if $status == 1;

	return ds_obj(key => $KEY, status => 4,
		actions => [ ds_obj(type => 0, userid => $USER) ]) if $status == 4;

	# 2 (MustSave) and 6 (MustSaveForce)
	return ds_obj(
		key => $KEY,
		status => $status,
		url => signed_url('output.docx'),
		changesurl => signed_url('changes.zip'),
		history => history(),
		users => [$USER],
		actions => [ ds_obj(type => $status == 6 ? 2 : 0, userid => $USER) ],
		lastsave => '2025-01-01T10:39:10.000Z',
		notmodified => JSON::PP::false,
		($status == 6 ? (forcesavetype => 1) : ()),
		filetype => 'docx',
	);
}

sub jwt_header {
	my ($token, $name) = @_;
	return ($name // 'AuthorizationJwt') . ": Bearer $token";
}

sub post {
	my ($uri, $body, @headers) = @_;
	return http_req('POST', $uri,
		headers => [ 'Content-Type: application/json',
			'User-Agent: Node.js/6.13', @headers ],
		body => $body);
}

# the Document Server's download token: {"payload":{"url":...},"iat","exp"}
sub dl_token {
	my ($url, %opts) = @_;
	my $iat = $opts{iat} // time();
	return ds_jwt($opts{secret} // $SECRET,
		ds_obj(payload => ds_obj(url => $url), iat => $iat, exp => $iat + 300));
}

sub get {
	my ($uri, @headers) = @_;
	return http_req('GET', $uri, headers => [ 'User-Agent: Node.js/6.13', @headers ]);
}

sub echo_uri { return qr/\x0d\x0a\x0d\x0aecho method=$_[0] uri=\Q$_[1]\E\x0a/ }

###############################################################################

# genuine callbacks, as the Document Server posts them, at both forms of the callback URL

my %cb = map { $_ => ds_callback($SECRET, fields($_)) } 1, 2, 4, 6;

for my $status (2, 6) {
	ok($cb{$status}{trimmed}, "status $status: the header token was trimmed ("
		. $cb{$status}{header_token_first} . ' characters before)');
}

for my $uri ($TRACK, $TRACK_PHP) {
	for my $status (1, 2, 4, 6) {
		my $c = $cb{$status};
		my $r = post($uri, $c->{body}, jwt_header($c->{header_token}));
		my $form = $uri =~ /^\/index\.php/ ? 'index.php' : 'pretty';
		is(status_of($r), 200, "$form track: status $status callback accepted");
		like($r, echo_of($c->{body}), "$form track: status $status body unchanged");
		like($r, echo_uri('POST', $uri), "$form track: status $status doc unchanged");
	}
}

# genuine downloads: the document and the empty document, both forms

for my $path ("/apps/onlyoffice/download?doc=$DOC_DL",
	"/index.php/apps/onlyoffice/download?doc=$DOC_DL",
	"/apps/onlyoffice/empty?doc=$DOC_EMPTY",
	"/index.php/apps/onlyoffice/empty?doc=$DOC_EMPTY")
{
	my $r = get($path, jwt_header(dl_token("$NC$path")));
	is(status_of($r), 200, "download $path accepted");
	like($r, echo_uri('GET', $path), "download $path proxied unchanged");
}

{
	# the app's StorageUrl: the Document Server fetches Nextcloud at an internal address
	my $path = "/apps/onlyoffice/download?doc=$DOC_DL";
	my $r = get($path, jwt_header(dl_token("http://nextcloud.internal:8080$path")));
	is(status_of($r), 200, 'download through an internal address (StorageUrl)');

	# Nextcloud's own Authorization beside the Document Server's header
	$r = get($path, 'Authorization: Basic YWxpY2U6YXBwLXBhc3N3b3Jk',
		jwt_header(dl_token("$NC$path")));
	is(status_of($r), 200, 'download with an Authorization header beside AuthorizationJwt');
	like($r, qr/\x0aauth=Basic YWxpY2U6YXBwLXBhc3N3b3Jk\x0a/,
		'Authorization passed to Nextcloud untouched');
}

###############################################################################

# forged callbacks

my $c2 = $cb{2};
my $forged = ds_posted_body(ds_with(fields(2), url => 'http://attacker.example/x.docx'));

{
	my $r = post($TRACK, $forged);
	is(status_of($r), 401, 'callback without a token: 401');
	is(header_of($r, 'WWW-Authenticate'), 'Bearer realm="onlyoffice"',
		'callback without a token: challenge');
	is(header_of($r, 'X-Err'), 'missing', 'callback without a token: missing');

	$r = post($TRACK_PHP, $forged);
	is(status_of($r), 401, 'index.php callback without a token: 401');

	my $bad = ds_callback($OTHER, fields(2));
	$r = post($TRACK, $bad->{body}, jwt_header($bad->{header_token}));
	is(status_of($r), 401, 'callback signed with another secret: 401');
	is(header_of($r, 'X-Err'), 'signature', 'callback with another secret: signature');

	# a Document Server left at JWT_HEADER=Authorization: the header token alone is not
	# found ...
	my $f4 = fields(4);
	$r = post($TRACK, ds_posted_body($f4), jwt_header($cb{4}{header_token}, 'Authorization'));
	is(status_of($r), 401, 'header token in Authorization, no body token: 401');
	is(header_of($r, 'X-Err'), 'missing', 'header token in Authorization: missing');

	# ... its body token still is, but only a short callback gets through with it alone:
	# the trimmed body of a long session (history {}, no changesurl) matches its body token
	# only beside the trimmed header token (and its downloads are refused, below)
	$r = post($TRACK, $cb{4}{body}, jwt_header($cb{4}{header_token}, 'Authorization'));
	is(status_of($r), 200, 'body token, header token in Authorization: body token used');

	$r = post($TRACK, $c2->{body}, jwt_header($c2->{header_token}, 'Authorization'));
	is(status_of($r), 403, 'trimmed callback, header token in Authorization: 403');
}

# the body says something the tokens do not (the app reads filetype, forcesavetype,
# actions, changesurl and history from the body)

{
	my $c6 = $cb{6};
	for my $case (
		[ 'url', url => 'http://attacker.example/x.docx' ],
		[ 'status', status => 2 ],
		[ 'filetype', filetype => 'docm' ],
		[ 'forcesavetype', forcesavetype => 0 ],
		[ 'actions', actions => [ ds_obj(type => 2, userid => "${INSTANCE}_admin") ] ],
		[ 'changesurl', changesurl => 'http://attacker.example/changes.zip' ],
	) {
		my ($name, %set) = @$case;
		my $body = ds_posted_body(ds_with($c6->{posted}, %set), $c6->{body_token});
		my $r = post($TRACK, $body, jwt_header($c6->{header_token}));
		is(status_of($r), 403, "callback with $name changed: 403");
		is(header_of($r, 'X-Err'), 'body_mismatch', "callback with $name changed: body_mismatch");
	}

	# a genuine status 4 header token replayed with a forged save
	my $r = post($TRACK_PHP, $forged, jwt_header($cb{4}{header_token}));
	is(status_of($r), 403, 'status 4 header token replayed with a forged save: 403');

	# the app's own "doc" token is signed with the same secret and reaches browsers in
	# the editor configuration (callbackUrl); it has no exp
	$r = post($TRACK, $forged, jwt_header($DOC_TRACK));
	is(status_of($r), 401, 'the app\'s doc token as the callback token: 401');

	# a download token at the callback
	$r = post($TRACK, $forged, jwt_header(dl_token("$NC$TRACK")));
	is(status_of($r), 403, 'a download token as the callback token: 403');
}

# forged and misdirected downloads

{
	my $path = "/apps/onlyoffice/download?doc=$DOC_DL";
	my $url = "$NC$path";

	my $r = get($path);
	is(status_of($r), 401, 'download without a token: 401');

	$r = get("/apps/onlyoffice/empty?doc=$DOC_EMPTY");
	is(status_of($r), 401, 'empty document without a token: 401');

	$r = get($path, jwt_header(dl_token($url, secret => $OTHER)));
	is(status_of($r), 401, 'download token with another secret: 401');

	$r = get($path, jwt_header(dl_token($url), 'Authorization'));
	is(status_of($r), 401, 'download token in Authorization: 401');
	is(header_of($r, 'X-Err'), 'missing', 'download token in Authorization: missing');

	$r = get("/apps/onlyoffice/download?doc=$DOC_DL2", jwt_header(dl_token($url)));
	is(status_of($r), 403, 'download token for another doc: 403');
	is(header_of($r, 'X-Err'), 'claims', 'download token for another doc: claims');

	$r = get($path, jwt_header(dl_token("$NC/index.php$path")));
	is(status_of($r), 403, 'download token of the index.php URL at the pretty URL: 403');

	$r = get($path, jwt_header(dl_token($url, iat => time() - 420)));
	is(status_of($r), 401, 'expired download token: 401');

	$r = get($path, jwt_header($DOC_DL));
	is(status_of($r), 401, 'the app\'s doc token as the download token: 401');

	$r = get($path, jwt_header($c2->{header_token}));
	is(status_of($r), 403, 'a callback token as the download token: 403');
}

# what the locations catch, and what they leave to Nextcloud

{
	my $r = post("/Apps/OnlyOffice/track?doc=$DOC_TRACK", $forged);
	is(status_of($r), 401, 'track in another case is checked');

	$r = post("/apps/onlyoffice/track/?doc=$DOC_TRACK", $forged);
	is(status_of($r), 401, 'track with a trailing slash is checked');

	$r = post("/apps/onlyoffice/%74rack?doc=$DOC_TRACK", $forged);
	is(status_of($r), 401, 'percent-encoded track is checked');

	$r = get("/index.php/apps/onlyoffice/download/?doc=$DOC_DL");
	is(status_of($r), 401, 'index.php download with a trailing slash is checked');

	$r = get('/apps/files/');
	is(status_of($r), 200, 'the rest of Nextcloud is not checked');

	$r = get('/index.php/apps/onlyoffice/4711');
	is(status_of($r), 200, 'the editor page is not checked');

	$r = get('/apps/onlyoffice/downloadas?fileId=4711&toExtension=pdf');
	is(status_of($r), 200, 'the user\'s downloadas is not checked');
}

###############################################################################
