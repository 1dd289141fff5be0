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
	header_of body_of /;

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
