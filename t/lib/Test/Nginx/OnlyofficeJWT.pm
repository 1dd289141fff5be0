package Test::Nginx::OnlyofficeJWT;

# Helpers for the ngx-onlyoffice-jwt tests: tokens signed the way the ONLYOFFICE Document
# Server and seahub sign them, tokens broken on purpose, and raw requests with bodies.
# Core Perl only (Digest::SHA, MIME::Base64, JSON::PP).

use warnings;
use strict;

use Exporter qw/ import /;
use Digest::SHA qw/ hmac_sha256 hmac_sha384 hmac_sha512 /;
use JSON::PP;
use MIME::Base64 qw/ encode_base64 /;

use Test::Nginx qw/ http /;

our @EXPORT = qw/ b64url jwt jwt_raw json canonical_json http_req status_of
	header_of body_of ds_obj ds_with ds_without ds_json ds_jwt ds_callback
	ds_posted_body /;

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
	my @rest = @_[2 .. $#_];
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
# which OutputSfcData puts before filetype (else last)
sub ds_posted_body {
	my ($obj, $token) = @_;
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

1;
