package Test::Nginx::OnlyofficeJWT;

# Helpers for the ngx-onlyoffice-jwt tests: the preamble and the nginx.conf skeleton every
# test shares, tokens signed the way the ONLYOFFICE Document Server and seahub sign them,
# tokens broken on purpose, raw requests with bodies, and a reload that waits until it is
# through. Core Perl only (Digest::SHA, MIME::Base64, JSON::PP); public-key tokens come from
# openssl (the keys) and PyJWT (t/lib/jwt_tool.py). Uses only the part of the
# Test::Nginx API that both t/lib/Test/Nginx.pm and nginx-tests' lib/Test/Nginx.pm have.
#
#     BEGIN { use FindBin; chdir($FindBin::Bin); }
#
#     use Test::Nginx::OnlyofficeJWT;
#
# "use Test::Nginx::OnlyofficeJWT" stands for the preamble of an nginx-tests file:
# "use warnings; use strict;", "use Test::More;", "use Test::Nginx;" (its default exports:
# http, http_get, port, ...), and unbuffered STDOUT and STDERR; then it exports the helpers
# below.

use warnings;
use strict;

use Exporter ();
use File::Basename qw/ dirname /;
use File::Spec ();
use Digest::SHA qw/ hmac_sha256 hmac_sha384 hmac_sha512 /;
use IO::Select;
use JSON::PP;
use MIME::Base64 qw/ encode_base64 /;
use Time::HiRes ();

use Test::More ();
use Test::Nginx qw/ http /;

our @ISA = qw/ Exporter /;

our @EXPORT = qw/ http_conf server_conf reload_and_wait read_response
	b64url jwt jwt_raw json canonical_json http_req status_of
	header_of body_of ds_obj ds_with ds_without ds_json ds_jwt ds_callback
	ds_posted_body signed_callback key_tool openssl_keypair /;

sub import {
	my $caller = caller;

	strict->import();
	warnings->import();

	eval "package $caller; use Test::More; use Test::Nginx; 1" or die $@;

	select STDERR; $| = 1;
	select STDOUT; $| = 1;

	__PACKAGE__->export_to_level(1, @_);
}

###############################################################################

# http_conf(@parts): an nginx.conf for write_file_expand(): %%TEST_GLOBALS%%,
# "daemon off;", an empty events{}, and http{} with %%TEST_GLOBALS_HTTP%% and the parts
# (http-level text: servers, maps, ...). A first part { main => TEXT } adds TEXT to the
# main context.
sub http_conf {
	my $opts = ref $_[0] eq 'HASH' ? shift : {};
	my $main = defined $opts->{main} ? "\n$opts->{main}\n" : '';
	my $http = join "\n", @_;
	$http .= "\n" unless $http =~ /\n\z/;

	return <<"EOF";

%%TEST_GLOBALS%%
$main
daemon off;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

$http}

EOF
}

# server_conf($port, $text): a server{} listening on 127.0.0.1:$port (a port number of
# port(), which write_file_expand() maps), server_name localhost, with $text inside.
sub server_conf {
	my ($port, $text) = @_;

	return <<"EOF";
    server {
        listen       127.0.0.1:$port;
        server_name  localhost;

$text    }
EOF
}

# reload_and_wait($t): $t->reload(), then waits (10 s at most) until the reload is
# through, the way nginx-tests' reload tests do, since its reload() returns as soon as
# it has sent SIGHUP: until the master logs that an old worker "exited with code" (the
# new workers serve), or logs an [emerg] (the reload failed; the old workers serve on).
# Returns 1 after a reload, 0 after a failed one, undef if neither came.
sub reload_and_wait {
	my ($t) = @_;

	my $off = (-s $t->testdir() . '/error.log') // 0;

	$t->reload();

	for (1 .. 100) {
		my $log = substr($t->read_file('error.log'), $off);
		return 0 if $log =~ /\[emerg\]/;
		return 1 if $log =~ /exited with code/;
		Time::HiRes::sleep(0.1);
	}

	return undef;
}

# read_response($s, \$buf): one response (by Content-Length or chunked, or up to the end
# of the head when it has neither) from a keepalive connection, taken off the front of
# $buf (what was read past it stays there for the next call); undef on EOF, or when none
# came in 5 s.
sub read_response {
	my ($s, $buf) = @_;
	my $own = '';
	$buf //= \$own;

	return undef unless $s;

	my $sel = IO::Select->new($s);
	my $deadline = Time::HiRes::time() + 5;
	while (1) {
		if ($$buf =~ /^(.*?\x0d\x0a\x0d\x0a)/s) {
			my $hlen = length $1;
			my $head = $1;
			if ($head =~ /^Content-Length:\s*(\d+)/mi) {
				if (length($$buf) >= $hlen + $1) {
					return substr($$buf, 0, $hlen + $1, '');
				}
			} elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
				if ($$buf =~ /^.{$hlen}(?:[0-9a-fA-F]+\x0d\x0a.*?)*?0\x0d\x0a\x0d\x0a/s) {
					return substr($$buf, 0, $+[0], '');
				}
			} else {
				return substr($$buf, 0, $hlen, '');
			}
		}
		my $left = $deadline - Time::HiRes::time();
		return undef if $left <= 0 || !$sel->can_read($left);
		my $n = $s->sysread($$buf, 65536, length $$buf);
		return undef unless $n;
	}
}

###############################################################################

my $json = JSON::PP->new->canonical(1);

sub b64url {
	my ($data) = @_;
	my $b = encode_base64($data, '');
	$b =~ tr{+/}{-_};
	$b =~ s/=+$//;
	return $b;
}

sub json { $json->encode($_[0]) }
sub canonical_json { $json->encode($_[0]) }

my %mac = (HS256 => \&hmac_sha256, HS384 => \&hmac_sha384, HS512 => \&hmac_sha512);

# jwt($secret, \%claims, %opts): a compact JWS. Options: alg (HS256), header (a hashref
# merged into {alg, typ}), ttl (adds iat = now and exp = now + ttl unless the claims have
# them), raw_claims / raw_header (JSON text used as is).
sub jwt {
	my ($secret, $claims, %opts) = @_;
	my $alg = $opts{alg} || 'HS256';
	my %claims = %{$claims || {}};
	if (defined $opts{ttl}) {
		$claims{iat} = time() unless exists $claims{iat};
		$claims{exp} = time() + $opts{ttl} unless exists $claims{exp};
	}
	my $header = $opts{raw_header}
		// json({ alg => $alg, typ => 'JWT', %{$opts{header} || {}} });
	my $body = $opts{raw_claims} // json(\%claims);
	return jwt_raw($secret, $header, $body, $opts{sign_alg} || $alg);
}

# jwt_raw($secret, $header_json, $claims_json, $alg): signs the exact texts given.
sub jwt_raw {
	my ($secret, $header, $claims, $alg) = @_;
	my $input = b64url($header) . '.' . b64url($claims);
	my $mac = $mac{$alg || 'HS256'} || $mac{HS256};
	return $input . '.' . b64url($mac->($input, $secret));
}

# http_req($method, $uri, %opts): a raw HTTP/1.1 request with "Connection: close".
# Options: headers => [ 'Name: value', ... ], body => '...', chunked => 1 (send the body
# chunked), http10 => 1, and any option of Test::Nginx::http (socket, start, ...).
sub http_req {
	my ($method, $uri, %opts) = @_;
	my $version = $opts{http10} ? 'HTTP/1.0' : 'HTTP/1.1';
	my $req = "$method $uri $version\r\nHost: localhost\r\n";
	$req .= "Connection: close\r\n" unless $opts{http10} || $opts{keepalive};
	$req .= "$_\r\n" for @{$opts{headers} || []};
	my $body = $opts{body};
	if (defined $body) {
		if ($opts{chunked}) {
			$req .= "Transfer-Encoding: chunked\r\n\r\n";
			my @pieces = $opts{pieces} ? @{$opts{pieces}} : ($body);
			$req .= sprintf("%x\r\n%s\r\n", length $_, $_) for grep { length } @pieces;
			$req .= "0\r\n\r\n";
		} else {
			$req .= "Content-Length: " . length($body) . "\r\n\r\n$body";
		}
	} else {
		$req .= "\r\n";
	}
	my %h = map { $_ => $opts{$_} } grep { exists $opts{$_} } qw/ socket start sleep PeerAddr /;
	return http($req, %h);
}

# JSON texts in a given member order, as the Document Server (node, JSON.stringify) writes
# them: ds_obj(name => value, ...) is an object whose members keep their order; ds_json()
# encodes it (and arrays, strings, numbers, JSON::PP::true/false; a plain hash in sorted
# order) with no spaces and non-ASCII as UTF-8.

my $scalar_json = JSON::PP->new->utf8(1)->allow_nonref(1);

sub ds_obj { return bless [ @_ ], 'Test::Nginx::OnlyofficeJWT::Obj' }

sub ds_json {
	my ($v) = @_;
	my $ref = ref $v;
	if ($ref eq 'Test::Nginx::OnlyofficeJWT::Obj') {
		my @p = @$v;
		my @m;
		while (my ($k, $x) = splice(@p, 0, 2)) {
			push @m, $scalar_json->encode("$k") . ':' . ds_json($x);
		}
		return '{' . join(',', @m) . '}';
	}
	return '[' . join(',', map { ds_json($_) } @$v) . ']' if $ref eq 'ARRAY';
	return '{' . join(',', map { $scalar_json->encode($_) . ':' . ds_json($v->{$_}) }
		sort keys %$v) . '}' if $ref eq 'HASH';
	return $scalar_json->encode($v);
}

# ds_with($obj, name => value, ...): a copy with members replaced in place (or appended);
# ds_without($obj, name, ...): a copy without those members
sub ds_with {
	my ($obj, %set) = @_;
	my @p = @$obj;
	my @out;
	while (my ($k, $v) = splice(@p, 0, 2)) {
		push @out, $k => (exists $set{$k} ? delete $set{$k} : $v);
	}
	my @rest = @_[1 .. $#_];
	while (my ($k, $v) = splice(@rest, 0, 2)) {
		push @out, $k => $v if exists $set{$k};
	}
	return ds_obj(@out);
}

sub ds_without {
	my ($obj, @drop) = @_;
	my %drop = map { $_ => 1 } @drop;
	my @p = @$obj;
	my @out;
	while (my ($k, $v) = splice(@p, 0, 2)) {
		push @out, $k => $v unless $drop{$k};
	}
	return ds_obj(@out);
}

# ds_jwt($secret, $claims): HS256 over the exact text ds_json($claims), with the JOSE
# header node-jsonwebtoken writes
sub ds_jwt {
	my ($secret, $claims) = @_;
	return jwt_raw($secret, '{"alg":"HS256","typ":"JWT"}', ds_json($claims), 'HS256');
}

# ds_posted_body($obj, $token): the posted text of a callback object with its body token,
# which OutputSfcData puts before filetype (else last); with no token (undef), the object
sub ds_posted_body {
	my ($obj, $token) = @_;
	return ds_json(ds_obj(@$obj)) unless defined $token;
	my @p = @$obj;
	my @out;
	my $done;
	while (my ($k, $v) = splice(@p, 0, 2)) {
		if ($k eq 'filetype' && !$done) {
			push @out, token => $token;
			$done = 1;
		}
		push @out, $k => $v;
	}
	push @out, token => $token unless $done;
	return ds_json(ds_obj(@out));
}

# ds_callback($secret, $obj, iat => N): a save callback as DocsCoServer.js
# sendServerRequest() posts it. The body token signs the flat object plus iat and
# exp = iat + 300; the header token signs {"payload": object, iat, exp}. When the header
# token is 7168 characters or longer (canvasservice.js checkAndFixAuthorizationLength),
# changesurl is deleted and history set to {} in the object itself, and only the header
# token is signed again; the posted body is that object with the body token added.
# Returns a hashref: body, auth ("Authorization: Bearer ..."), body_token, header_token,
# header_token_first (the length before the trim), trimmed, posted (the object posted).
sub ds_callback {
	my ($secret, $obj, %opts) = @_;
	my $iat = $opts{iat} // time();
	my @times = (iat => $iat, exp => $iat + 300);

	my $body_token = ds_jwt($secret, ds_obj(@$obj, @times));
	my $header_token = ds_jwt($secret, ds_obj(payload => $obj, @times));
	my $first = length $header_token;
	my $trimmed = $first >= ($opts{trim_at} // 7168);

	if ($trimmed) {
		$obj = ds_with(ds_without($obj, 'changesurl'), history => ds_obj());
		$header_token = ds_jwt($secret, ds_obj(payload => $obj, @times));
	}

	return {
		body => ds_posted_body($obj, $body_token),
		auth => "Authorization: Bearer $header_token",
		body_token => $body_token,
		header_token => $header_token,
		header_token_first => $first,
		trimmed => $trimmed ? 1 : 0,
		posted => $obj,
	};
}

# signed_callback($secret, $obj): a callback with both tokens, as seahub's tests sign
# them: the body token over the object's members, the header token over
# {"payload": members}, each as the canonical JSON of jwt() with iat = now and
# exp = now + 300 (unlike ds_callback: neither the DS's member order nor its trim).
# Returns (the posted body, ds_posted_body() with the body token; the header line
# "Authorization: Bearer <header token>").
sub signed_callback {
	my ($secret, $obj) = @_;
	my $claims = { @$obj };
	return (ds_posted_body($obj, jwt($secret, $claims, ttl => 300)),
		'Authorization: Bearer ' . jwt($secret, { payload => $claims }, ttl => 300));
}

sub status_of {
	my ($r) = @_;
	return 0 unless defined $r;
	return $r =~ m{^HTTP/1\.[01] (\d{3})} ? $1 + 0 : 0;
}

sub header_of {
	my ($r, $name) = @_;
	return undef unless defined $r;
	my ($head) = split /\r\n\r\n/, $r, 2;
	return $head =~ /^\Q$name\E:\s*(.*?)\r?$/mi ? $1 : undef;
}

sub body_of {
	my ($r) = @_;
	return undef unless defined $r;
	my (undef, $body) = split /\r\n\r\n/, $r, 2;
	return $body;
}

###############################################################################

# Public keys: openssl makes them, PyJWT and cryptography (python3-jwt, python3-cryptography)
# sign with them, through t/lib/jwt_tool.py.

my $tool = File::Spec->rel2abs(dirname(__FILE__) . '/../../jwt_tool.py');
my $python;

# key_tool(@args): jwt_tool.py's output (a token or a JWK Set); dies when it fails.
sub key_tool {
	$python //= (grep {
		system("$_ -c 'import jwt, cryptography' >/dev/null 2>&1") == 0
	} 'python3', '/usr/bin/python3')[0]
		// die "no python3 with PyJWT and cryptography (python3-jwt python3-cryptography)\n";
	open my $fh, '-|', $python, $tool, @_ or die "cannot run $tool: $!\n";
	my $out = do { local $/; <$fh> };
	close $fh or die "jwt_tool.py @_[0 .. 1] failed\n";
	chomp $out;
	return $out;
}

# openssl_keypair($dir, $name, @genpkey_options): $dir/$name.key (private, PEM) and
# $dir/$name.pub (its SPKI public key, PEM) made by openssl genpkey.
sub openssl_keypair {
	my ($dir, $name, @opts) = @_;
	# genpkey draws its progress on stderr
	open my $err, '>&', \*STDERR or die "dup: $!\n";
	open STDERR, '>', '/dev/null' or die "/dev/null: $!\n";
	my $rc = system('openssl', 'genpkey', @opts, '-out', "$dir/$name.key");
	open STDERR, '>&', $err or die "dup: $!\n";
	$rc == 0 or die "openssl genpkey @opts failed\n";
	system('openssl', 'pkey', '-in', "$dir/$name.key", '-pubout',
		'-out', "$dir/$name.pub") == 0 or die "openssl pkey -pubout failed\n";
}

1;
