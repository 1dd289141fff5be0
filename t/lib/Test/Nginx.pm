package Test::Nginx;

# A small, self-contained test harness for nginx modules.
#
# It offers the subset of the API of nginx-tests' lib/Test/Nginx.pm that
# nginx-tests style .t files use, so that the same .t files run against
# this file and against nginx-tests' lib.  Written from scratch; uses only
# core Perl modules.  See the POD at the end of this file.

use strict;
use warnings;

our $VERSION = '0.01';

use Exporter qw/import/;

our @EXPORT = qw/log_in log_out http http_get http_head port/;
our @EXPORT_OK = qw/http_start http_end http_content/;

use File::Path ();
use File::Spec ();
use File::Temp ();
use IO::Handle ();
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Scalar::Util ();
use Test::More ();
use Time::HiRes ();

my $CRLF = "\x0d\x0a";

# Objects that still need their final stop / alerts check, keyed by refaddr
# (weak references).
my %LIVE;
my $SEQ = 0;

# Logical port number => real port; sockets holding not yet used ports.
my %PORT;
my %PORT_USED;
my %PORT_HOLD;

# Cached `nginx -V` output, per binary path.
my %NGINX_V;

my $SIG_INSTALLED;

# Features that nginx only builds when configured with --with-<name>[_module].
my %OPT_IN = map { $_ => 1 } qw/
    http_ssl http_v2 http_v3 http_realip http_addition http_xslt
    http_image_filter http_geoip http_sub http_dav http_flv http_mp4
    http_gunzip http_gzip_static http_auth_request http_random_index
    http_secure_link http_degradation http_slice http_stub_status http_perl
    mail mail_ssl stream stream_ssl stream_realip stream_geoip
    stream_ssl_preread threads debug google_perftools cpp_test compat
    file_aio
/;

my %ALIAS = (
    ssl => 'http_ssl',
);

###############################################################################
# Construction and feature checks

sub new {
    my ($class) = @_;

    my $dir = File::Temp::tempdir('nginx-test-XXXXXXXXXX',
        TMPDIR => 1, CLEANUP => 0);

    my $self = bless {
        _testdir => $dir,
        _owner   => $$,
        _seq     => ++$SEQ,
        _daemons => [],
    }, $class;

    my $key = Scalar::Util::refaddr($self);
    $LIVE{$key} = $self;
    Scalar::Util::weaken($LIVE{$key});

    return $self;
}

sub testdir {
    my ($self) = @_;
    return $self->{_testdir};
}

sub has {
    my ($self, @features) = @_;

    for my $feature (@features) {
        next if $self->has_module($feature);
        Test::More::plan(skip_all => "no $feature available");
    }

    return $self;
}

sub has_module {
    my ($self, $feature) = @_;

    my $v = $self->_configure_args();

    if ($feature eq 'http') {
        return $v !~ /(?:^|\s)--without-http(?=\s|$)/ ? 1 : 0;
    }

    if ($feature =~ /^(stream|mail)_/) {
        return 0 unless $self->has_module($1);
    }

    if ($feature eq 'rewrite' || $feature eq 'regex') {
        return 0 if $v =~ /(?:^|\s)--without-pcre(?=\s|$)/;
    }

    my $name = $ALIAS{$feature} // $feature;

    for my $n ($name, "http_$name") {
        return 0 if $v =~ /(?:^|\s)--without-\Q$n\E(?:_module)?(?=\s|$)/;

        if ($v =~ /(?:^|\s)--with-\Q$n\E(?:_module)?(=dynamic)?(?=\s|$)/) {
            return 1 unless $1;

            # A dynamic module is only there if TEST_NGINX_GLOBALS loads it.
            my $g = $ENV{TEST_NGINX_GLOBALS} // '';
            my $so = $n =~ /_module$/ ? "ngx_$n.so" : "ngx_${n}_module.so";
            return $g =~ /load_module\s[^;]*\Q$so\E/ ? 1 : 0;
        }
    }

    return 0 if $OPT_IN{$name} || $OPT_IN{"http_$name"};

    # Unknown or default-on feature: assume it is there.
    return 1;
}

sub has_version {
    my ($self, $need) = @_;

    my $have = $self->_nginx_version();
    my @have = split /\./, $have;
    my @need = split /\./, $need;

    while (@have || @need) {
        my $h = shift(@have) // 0;
        my $n = shift(@need) // 0;
        return 1 if $h > $n;
        return 0 if $h < $n;
    }

    return 1;
}

sub has_daemon {
    my ($self, $daemon) = @_;

    return $self if _find_executable($daemon);
    Test::More::plan(skip_all => "$daemon not found");
}

sub plan {
    my ($self, $n) = @_;

    # Two extra tests, 'no alerts' and 'no sanitizer errors', which every
    # Test::Nginx object runs when it is finished (see _finish).
    Test::More::plan(tests => $n + 2);

    return $self;
}

sub todo_alerts {
    my ($self) = @_;
    $self->{_todo_alerts} = 1;
    return $self;
}

###############################################################################
# Files

sub write_file {
    my ($self, $name, $content) = @_;

    my $path = $self->_path($name);
    my (undef, $dirs) = File::Spec->splitpath($path);
    File::Path::make_path($dirs) if length $dirs && !-d $dirs;

    open(my $fh, '>', $path) or die "Test::Nginx: can't create $path: $!\n";
    binmode $fh;
    print {$fh} $content;
    close($fh) or die "Test::Nginx: can't write $path: $!\n";

    return $self;
}

sub write_file_expand {
    my ($self, $name, $content) = @_;
    return $self->write_file($name, $self->_expand($content));
}

sub read_file {
    my ($self, $name) = @_;

    my $path = $self->_path($name);
    open(my $fh, '<', $path) or die "Test::Nginx: can't open $path: $!\n";
    binmode $fh;
    local $/;
    my $content = <$fh>;
    close($fh);

    return $content // '';
}

# Whether a configuration text has a "user" directive (not a word of a comment).
sub _has_user {
    my ($text) = @_;
    $text =~ s/#[^\n]*//g;
    return $text =~ /(?:^|[;{}])\s*user\s/;
}

sub test_globals {
    my ($self, $conf) = @_;

    my $dir = $self->{_testdir};
    my $g = $ENV{TEST_NGINX_GLOBALS} // '';

    my $s = "pid $dir/nginx.pid;\nerror_log $dir/error.log debug;\n";
    $self->{_test_globals_used} = 1;

    # As root, workers would run as 'nobody' and could not write to the
    # 0700 test directory.
    if ($> == 0 && !_has_user($g) && !_has_user($conf // '')) {
        $s .= "user root;\n";
    }

    $s .= "$g\n" if length $g;

    return $s;
}

sub test_globals_http {
    my ($self) = @_;

    my $dir = $self->{_testdir};

    my $s = "root $dir;\n"
        . "access_log $dir/access.log;\n"
        . "client_body_temp_path $dir/client_body_temp;\n";

    for my $m (qw/fastcgi proxy uwsgi scgi/) {
        $s .= "${m}_temp_path $dir/${m}_temp;\n" if $self->has_module($m);
    }

    $s .= "$ENV{TEST_NGINX_GLOBALS_HTTP}\n"
        if length($ENV{TEST_NGINX_GLOBALS_HTTP} // '');

    return $s;
}

sub test_globals_stream {
    my ($self) = @_;
    my $g = $ENV{TEST_NGINX_GLOBALS_STREAM} // '';
    return length $g ? "$g\n" : '';
}

sub _expand {
    my ($self, $content) = @_;

    my $dir = $self->{_testdir};
    my $orig = $content;

    $content =~ s/%%TEST_GLOBALS%%/$self->test_globals($orig)/ge;
    $content =~ s/%%TEST_GLOBALS_HTTP%%/$self->test_globals_http()/ge;
    $content =~ s/%%TEST_GLOBALS_STREAM%%/$self->test_globals_stream()/ge;
    $content =~ s/%%TESTDIR%%/$dir/g;
    $content =~ s/%%PORT_(\d+)(_UDP)?%%/port($1, udp => defined $2)/ge;
    $content =~ s/(127\.0\.0\.1|\[::1\]):(8\d\d\d)(?!\d)/"$1:" . port($2)/ge;

    return $content;
}

sub _path {
    my ($self, $name) = @_;
    return "$self->{_testdir}/$name";
}

###############################################################################
# Ports

sub port {
    my ($num, %opts) = @_;

    return $PORT{$num} if exists $PORT{$num};

    for (1 .. 100) {
        # Bind to port 0 and keep the socket until nginx or a daemon is
        # started (see _release_ports), so that no other process gets it.
        my $s = IO::Socket::INET->new(
            Proto     => 'tcp',
            LocalAddr => '127.0.0.1',
            LocalPort => 0,
            ReuseAddr => 1,
        ) or next;

        my $p = $s->sockport();
        next if !$p || $PORT_USED{$p};

        # The same number is used for UDP (port($n, udp => 1)).
        my $u = IO::Socket::INET->new(
            Proto     => 'udp',
            LocalAddr => '127.0.0.1',
            LocalPort => $p,
        ) or next;
        close($u);

        $PORT_USED{$p} = 1;
        $PORT_HOLD{$num} = $s;
        return $PORT{$num} = $p;
    }

    die "Test::Nginx: can't find a free port for $num\n";
}

sub _release_ports {
    close($_) for values %PORT_HOLD;
    %PORT_HOLD = ();
}

###############################################################################
# Running nginx

sub run {
    my ($self, $conf) = @_;

    die "Test::Nginx: nginx is already running\n" if $self->{_pid};

    my $dir = $self->{_testdir};

    # run($file): a configuration template to expand into nginx.conf.
    if (defined $conf) {
        open(my $fh, '<', $conf)
            or die "Test::Nginx: can't open $conf: $!\n";
        local $/;
        my $text = <$fh>;
        close($fh);
        $self->write_file_expand('nginx.conf', $text);
    }

    $conf = "$dir/nginx.conf";

    my $bin = _binary();
    my @cmd = ($bin, '-p', "$dir/", '-c', $conf);
    push @cmd, '-e', "$dir/error.log" if $self->has_version('1.19.5');

    # A configuration without %%TEST_GLOBALS%%: pass pid and error_log
    # (and user root, see test_globals) on the command line.
    unless ($self->{_test_globals_used}) {
        my $g = "pid $dir/nginx.pid; error_log $dir/error.log debug;";
        $g .= ' user root;' if $> == 0
            && !_has_user(eval { $self->read_file('nginx.conf') } // '');
        push @cmd, '-g', $g;
    }

    unlink("$dir/nginx.pid");
    _release_ports();
    _install_signal_handlers();

    STDOUT->flush();
    STDERR->flush();

    my $pid = fork();
    die "Test::Nginx: fork() failed: $!\n" unless defined $pid;

    if ($pid == 0) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>>', "$dir/stderr");
        open(STDERR, '>&', \*STDOUT);
        $SIG{$_} = 'DEFAULT' for qw/INT TERM HUP PIPE/;
        no warnings 'exec';
        exec { $bin } @cmd;
        print STDERR "exec $bin failed: $!\n";
        POSIX::_exit(127);
    }

    $self->{_child} = $pid;
    log_out("started: @cmd (pid $pid)");

    my @ports = _listen_ports($conf);
    my $deadline = Time::HiRes::time() + _start_timeout();
    my $fail;

    while (1) {
        if ($self->{_child} && waitpid($pid, POSIX::WNOHANG()) == $pid) {
            my $status = $?;
            delete $self->{_child};

            # Exit code 0 with no 'daemon off': nginx went to background;
            # the master's pid will appear in the pid file.
            if ($status != 0) {
                $fail = 'nginx exited with ' . _status_text($status);
                last;
            }
            $self->{_daemonized} = 1;
        }

        my $master = _read_pid("$dir/nginx.pid");

        if ($master && _all_listening(@ports)) {
            $self->{_pid} = $master;
            last;
        }

        if (Time::HiRes::time() > $deadline) {
            $fail = 'nginx did not start in ' . _start_timeout() . ' s'
                . ($master ? " (ports not listening: @ports)" : '');
            last;
        }

        Time::HiRes::sleep(0.02);
    }

    if (defined $fail) {
        $self->_kill_failed_start();
        die "Test::Nginx: $fail\n" . $self->_log_tail();
    }

    return $self;
}

sub try_run {
    my ($self, $message) = @_;

    return $self if eval { $self->run(); 1 };

    my $err = $@;
    log_in("run() failed: $err");

    die "$message: $err" if Test::More->builder->has_plan();
    Test::More::plan(skip_all => $message);
}

sub stop {
    my ($self) = @_;

    $self->_stop_nginx();
    $self->stop_daemons();

    return $self;
}

sub reload {
    my ($self) = @_;

    my $pid = $self->{_pid} or die "Test::Nginx: nginx is not running\n";
    my $log = "$self->{_testdir}/error.log";
    my $offset = -s $log // 0;
    my @old = _children_of($pid);
    my $have_proc = -d "/proc/$pid";

    kill('HUP', $pid) or die "Test::Nginx: can't send HUP to $pid: $!\n";

    my $deadline = Time::HiRes::time() + _start_timeout();

    while (Time::HiRes::time() < $deadline) {
        Time::HiRes::sleep(0.02);

        my $new = _read_from($log, $offset);

        # Failed reload: the old configuration stays.
        last if $new =~ /\[emerg\]/;

        next unless $new =~ /start worker process/;
        last unless $have_proc;

        # Wait until the old workers stopped accepting connections.
        my $pending = grep {
            _alive($_) && $new !~ /\b$_#\d+: (?:gracefully shutting down|exiting)/
        } @old;

        last unless $pending;
    }

    Time::HiRes::sleep(0.05);
    return $self;
}

sub run_daemon {
    my ($self, $code, @args) = @_;

    _release_ports();
    _install_signal_handlers();

    STDOUT->flush();
    STDERR->flush();

    my $pid = fork();
    die "Test::Nginx: fork() failed: $!\n" unless defined $pid;

    if ($pid == 0) {
        $SIG{$_} = 'DEFAULT' for qw/INT TERM HUP/;

        if (ref $code eq 'CODE') {
            eval { $code->(@args); 1 } or print STDERR $@;
            STDOUT->flush();
            STDERR->flush();
            POSIX::_exit(0);
        }

        no warnings 'exec';
        exec { $code } $code, @args;
        print STDERR "exec $code failed: $!\n";
        POSIX::_exit(127);
    }

    push @{$self->{_daemons}}, $pid;
    return $self;
}

sub stop_daemons {
    my ($self) = @_;

    my @pids = @{$self->{_daemons} || []};
    $self->{_daemons} = [];
    return $self unless @pids;

    kill('TERM', @pids);
    my @left = _reap(3, @pids);

    if (@left) {
        kill('KILL', @left);
        _reap(3, @left);
    }

    return $self;
}

sub waitforsocket {
    my ($self, $peer) = @_;

    for (1 .. 50) {
        my $s = IO::Socket::INET->new(Proto => 'tcp', PeerAddr => $peer);
        if ($s) {
            close($s);
            return 1;
        }
        Time::HiRes::sleep(0.1);
    }

    return undef;
}

sub waitforfile {
    my ($self, $file, $pid) = @_;

    for (1 .. 50) {
        return 1 if -e $file;
        return 0 if defined $pid
            && (waitpid($pid, POSIX::WNOHANG()) != 0 || !_alive($pid));
        Time::HiRes::sleep(0.1);
    }

    return undef;
}

###############################################################################
# Internals of run/stop

sub _binary {
    my $bin = $ENV{TEST_NGINX_BINARY};
    $bin = '../nginx/objs/nginx' unless defined $bin && length $bin;

    my @try = ($bin);

    # .t files chdir() to their directory before loading us; a relative
    # TEST_NGINX_BINARY may be relative to the directory prove ran in.
    push @try, File::Spec->catfile($ENV{PWD}, $bin)
        if !File::Spec->file_name_is_absolute($bin) && defined $ENV{PWD};

    for my $b (@try) {
        return File::Spec->rel2abs($b) if -f $b && -x _;
    }

    die "Test::Nginx: nginx binary '$bin' not found or not executable;"
        . " set TEST_NGINX_BINARY\n";
}

sub _nginx_v {
    my $bin = _binary();
    return $NGINX_V{$bin} if defined $NGINX_V{$bin};

    STDOUT->flush();
    STDERR->flush();

    my $pid = open(my $fh, '-|');
    die "Test::Nginx: fork() failed: $!\n" unless defined $pid;

    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT);
        no warnings 'exec';
        exec { $bin } $bin, '-V';
        print "exec $bin failed: $!\n";
        POSIX::_exit(127);
    }

    local $/;
    my $out = <$fh> // '';
    close($fh);

    die "Test::Nginx: '$bin -V' failed: $out\n"
        unless $out =~ /nginx version:/;

    return $NGINX_V{$bin} = $out;
}

sub _configure_args {
    my ($self) = @_;
    my ($args) = _nginx_v() =~ /^configure arguments:(.*)$/m;
    return $args // '';
}

sub _nginx_version {
    my ($self) = @_;
    my ($v) = _nginx_v() =~ m!nginx version: [^/\s]+/(\d+(?:\.\d+)*)!;
    return $v // '0';
}

sub _find_executable {
    my ($name) = @_;

    return -x $name ? $name : undef if $name =~ m!/!;

    for my $d (split /:/, $ENV{PATH} // '') {
        my $f = File::Spec->catfile(length $d ? $d : '.', $name);
        return $f if -f $f && -x _;
    }

    return undef;
}

sub _start_timeout {
    return $ENV{TEST_NGINX_START_TIMEOUT} || 5;
}

sub _timeout {
    return $ENV{TEST_NGINX_TIMEOUT} || 8;
}

sub _install_signal_handlers {
    return if $SIG_INSTALLED++;

    # Make ^C / kill run the END block, which stops nginx.
    for my $sig (qw/INT TERM/) {
        my $h = $SIG{$sig};
        next if defined $h && $h ne '' && $h ne 'DEFAULT';
        $SIG{$sig} = sub { exit($sig eq 'INT' ? 130 : 143) };
    }
}

sub _read_pid {
    my ($file) = @_;

    open(my $fh, '<', $file) or return undef;
    my $line = <$fh>;
    close($fh);

    return defined $line && $line =~ /^(\d+)\s*$/ ? $1 : undef;
}

sub _read_from {
    my ($file, $offset) = @_;

    open(my $fh, '<', $file) or return '';
    binmode $fh;
    seek($fh, $offset, 0);
    local $/;
    my $s = <$fh>;
    close($fh);

    return $s // '';
}

sub _listen_ports {
    my ($conf) = @_;

    open(my $fh, '<', $conf) or return ();
    local $/;
    my $text = <$fh> // '';
    close($fh);

    $text =~ s/(^|\s)#[^\n]*/$1/g;

    my @ports;

    while ($text =~ /(?:^|[\s;{}])listen\s+([^;]+);/g) {
        my ($addr, @params) = split ' ', $1;
        next if grep { $_ eq 'udp' || $_ eq 'quic' } @params;
        next if $addr =~ /^unix:/;

        if ($addr =~ /:(\d+)$/ || $addr =~ /^(\d+)$/) {
            push @ports, $1;
        }
    }

    return @ports;
}

sub _all_listening {
    my (@ports) = @_;
    return 1 unless @ports;

    my %listen;
    my $proc;

    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open(my $fh, '<', $f) or next;
        $proc = 1;

        while (<$fh>) {
            my @f = split;
            next unless @f > 3 && $f[3] eq '0A';
            $listen{hex $1} = 1 if $f[1] =~ /:([0-9A-Fa-f]+)$/;
        }

        close($fh);
    }

    return !grep { !$listen{$_} } @ports if $proc;

    # No /proc: try to connect.
    for my $p (@ports) {
        my $s = IO::Socket::INET->new(Proto => 'tcp',
            PeerAddr => "127.0.0.1:$p") or return 0;
        close($s);
    }

    return 1;
}

sub _alive {
    my ($pid) = @_;

    if (open(my $fh, '<', "/proc/$pid/stat")) {
        my $st = <$fh> // '';
        close($fh);
        return 0 if $st =~ /\)\s+[ZX]\s/;
    }

    return kill(0, $pid) ? 1 : 0;
}

sub _children_of {
    my ($ppid) = @_;

    opendir(my $d, '/proc') or return ();
    my @pids;

    for my $p (grep { /^\d+$/ } readdir($d)) {
        open(my $fh, '<', "/proc/$p/stat") or next;
        my $st = <$fh> // '';
        close($fh);

        next unless $st =~ /\)\s+(\S)\s+(\d+)/;
        push @pids, $p if $2 == $ppid && $1 ne 'Z';
    }

    closedir($d);
    return @pids;
}

# Wait up to $timeout seconds for our child processes to exit; returns
# those still running.
sub _reap {
    my ($timeout, @pids) = @_;

    my $deadline = Time::HiRes::time() + $timeout;

    while (@pids) {
        @pids = grep { waitpid($_, POSIX::WNOHANG()) == 0 } @pids;
        last if !@pids || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }

    return @pids;
}

# Wait for the nginx master to go away, whether it is our child or not.
sub _wait_master {
    my ($self, $timeout) = @_;

    my $pid = $self->{_pid};
    my $pidfile = "$self->{_testdir}/nginx.pid";
    my $deadline = Time::HiRes::time() + $timeout;

    while (1) {
        if ($self->{_child}) {
            if (waitpid($self->{_child}, POSIX::WNOHANG()) != 0) {
                $self->{_status} = $?;
                delete $self->{_child};
                return 1;
            }

        } elsif (!_alive($pid) || !-e $pidfile) {
            return 1;
        }

        return 0 if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }
}

sub _stop_nginx {
    my ($self) = @_;

    my $pid = $self->{_pid} or return;

    local $?;

    kill('QUIT', $pid);

    if (!$self->_wait_master($ENV{TEST_NGINX_STOP_TIMEOUT} || 5)) {
        Test::More::diag("nginx $pid did not exit on QUIT, sending TERM");
        kill('TERM', $pid);

        if (!$self->_wait_master(5)) {
            Test::More::diag("nginx $pid did not exit on TERM, killing");
            kill('KILL', _children_of($pid), $pid);
            $self->_wait_master(5);
        }
    }

    delete $self->{_pid};
    delete $self->{_child};
}

sub _kill_failed_start {
    my ($self) = @_;

    local $?;

    my $child = delete $self->{_child};
    my $master = _read_pid("$self->{_testdir}/nginx.pid");
    delete $self->{_pid};

    my @pids = grep { defined } $child,
        (defined $master && !(defined $child && $master == $child)
            ? $master : ());
    my @kids = map { _children_of($_) } @pids;

    kill('TERM', @pids);

    my $deadline = Time::HiRes::time() + 3;

    while (Time::HiRes::time() < $deadline) {
        # an unreaped child is a zombie, which _alive() reports as gone
        last unless grep { _alive($_) } @pids;
        Time::HiRes::sleep(0.02);
    }

    my @left = grep { _alive($_) } @pids, @kids;
    kill('KILL', @left) if @left;

    waitpid($child, 0) if defined $child;
}

sub _status_text {
    my ($status) = @_;

    return 'signal ' . ($status & 127) if $status & 127;
    return 'exit code ' . ($status >> 8);
}

sub _log_tail {
    my ($self) = @_;

    my $out = '';

    for my $f (qw/error.log stderr/) {
        my $path = "$self->{_testdir}/$f";
        next unless -s $path;

        my @lines = split /^/m, _read_from($path, 0);
        splice(@lines, 0, @lines - 20) if @lines > 20;
        $out .= "--- $path (tail) ---\n" . join('', @lines);
    }

    return $out;
}

###############################################################################
# The final check

sub _finish {
    my ($self) = @_;

    return if $self->{_finished};
    return if !defined $self->{_owner} || $self->{_owner} != $$;
    $self->{_finished} = 1;

    local ($?, $@, $!);

    eval { $self->stop(); 1 } or Test::More::diag("stop() failed: $@");

    my $log = "$self->{_testdir}/error.log";
    my $text = -e $log ? _read_from($log, 0) : '';

    my $tb = Test::More->builder;

    # Only with a numeric plan (not after skip_all, nor with done_testing).
    if ($tb->expected_tests) {
        my @alerts = grep { /\[alert\]/ || /exited on signal/ }
            split /^/m, $text;

        $tb->todo_start('alerts') if $self->{_todo_alerts};
        Test::More::is(join('', @alerts), '', 'no alerts');
        $tb->todo_end() if $self->{_todo_alerts};

        # Sanitizer reports go to nginx's stderr, which nginx redirects to
        # the error log once it runs; earlier ones are in DIR/stderr.
        my $stderr = "$self->{_testdir}/stderr";
        my @san = grep { /Sanitizer/ } split /^/m,
            $text . (-e $stderr ? _read_from($stderr, 0) : '');

        Test::More::is(join('', @san), '', 'no sanitizer errors');
    }

    Test::More::diag("--- $log ---\n$text") if $ENV{TEST_NGINX_CATLOG};

    if ($ENV{TEST_NGINX_LEAVE}) {
        Test::More::diag("test directory left: $self->{_testdir}")
            if $ENV{TEST_NGINX_VERBOSE};
    } else {
        File::Path::remove_tree($self->{_testdir});
    }
}

sub DESTROY {
    my ($self) = @_;

    local ($?, $@, $!);

    $self->_finish();
    delete $LIVE{Scalar::Util::refaddr($self)};
}

# Finish all live objects (stop nginx, 'no alerts') here rather than in
# DESTROY: file-scope lexicals are destroyed only after Test::Builder's END
# block has checked the plan.  This END block runs before Test::Builder's,
# as Test::More was loaded before it was compiled.
END {
    for my $t (sort { $a->{_seq} <=> $b->{_seq} } grep { defined } values %LIVE) {
        $t->_finish();
    }
}

###############################################################################
# HTTP client

sub log_out {
    _log('>> ', @_);
}

sub log_in {
    _log('<< ', @_);
}

sub _log {
    my ($prefix, $msg) = @_;

    return unless $ENV{TEST_NGINX_VERBOSE};

    $msg //= '';
    $msg = substr($msg, 0, 4096) . '... (' . length($msg) . ' bytes)'
        if length $msg > 4096;

    # Show CR and other unprintable bytes as \xNN.
    my @lines = map {
        (my $l = $_) =~ s/([^\x20-\x7e\x0a])/sprintf('\\x%02x', ord $1)/ge;
        $l =~ s/\x0a\z//;
        "$prefix$l\n";
    } split /(?<=\x0a)/, $msg;

    Test::More::note(join('', @lines));
}

sub http_get {
    my ($uri, %extra) = @_;
    return http("GET $uri HTTP/1.0${CRLF}Host: localhost${CRLF}${CRLF}",
        %extra);
}

sub http_head {
    my ($uri, %extra) = @_;
    return http("HEAD $uri HTTP/1.0${CRLF}Host: localhost${CRLF}${CRLF}",
        %extra);
}

sub http {
    my ($request, %extra) = @_;

    my $s = http_start($request, %extra) or return undef;
    return $s if $extra{start};
    return http_end($s, %extra);
}

sub http_start {
    my ($request, %extra) = @_;

    my $timeout = $extra{timeout} || _timeout();

    my $s = $extra{socket} || IO::Socket::INET->new(
        Proto    => 'tcp',
        PeerAddr => $extra{PeerAddr} || '127.0.0.1:' . port(8080),
        Timeout  => $timeout,
    );

    unless ($s) {
        log_in("connect failed: $@");
        return undef;
    }

    log_out($request);
    _write_all($s, $request, $timeout) or return undef;

    Time::HiRes::sleep($extra{sleep}) if $extra{sleep};

    if (defined $extra{body} && !$extra{aborted}) {
        log_out($extra{body});
        _write_all($s, $extra{body}, $timeout) or return undef;
    }

    return $s;
}

sub http_end {
    my ($s, %extra) = @_;

    my $timeout = $extra{timeout} || _timeout();
    my $deadline = Time::HiRes::time() + $timeout;
    my $sel = IO::Select->new($s);
    my $reply = '';

    while (1) {
        my $left = $deadline - Time::HiRes::time();

        if ($left <= 0 || !$sel->can_read($left)) {
            log_in($reply);
            log_in("died: timeout");
            close($s);
            return undef;
        }

        my $n = sysread($s, my $buf, 65536);
        next if !defined $n && $!{EINTR};
        last unless $n;
        $reply .= $buf;
    }

    close($s);
    log_in($reply);

    return $reply;
}

sub _write_all {
    my ($s, $data, $timeout) = @_;

    local $SIG{PIPE} = 'IGNORE';

    my $deadline = Time::HiRes::time() + $timeout;
    my $sel = IO::Select->new($s);

    while (length $data) {
        my $left = $deadline - Time::HiRes::time();

        if ($left <= 0 || !$sel->can_write($left)) {
            log_in("died: write timeout");
            return 0;
        }

        my $n = syswrite($s, $data, 16384);

        if (!defined $n) {
            next if $!{EINTR} || $!{EAGAIN};
            log_in("died: write failed: $!");
            return 0;
        }

        substr($data, 0, $n, '');
    }

    return 1;
}

sub http_content {
    my ($text) = @_;

    return undef unless defined $text;

    my ($headers, $body) = split /\x0d?\x0a\x0d?\x0a/, $text, 2;
    return undef unless defined $body;

    return $body unless $headers =~ /^Transfer-Encoding:\s*chunked\s*$/mi;

    my $content = '';

    while ($body =~ s/^([0-9a-fA-F]+)[^\x0a]*\x0a//) {
        my $len = hex $1;
        last if $len == 0;
        $content .= substr($body, 0, $len, '');
        $body =~ s/^\x0d?\x0a//;
    }

    return $content;
}

1;

__END__

=head1 NAME

Test::Nginx - minimal nginx test harness, compatible with nginx-tests style

=head1 SYNOPSIS

    use Test::More;
    BEGIN { use FindBin; chdir($FindBin::Bin); }
    use lib 'lib';
    use Test::Nginx;

    my $t = Test::Nginx->new()->has(qw/http proxy/)->plan(1)
        ->write_file_expand('nginx.conf', <<'EOF');
    %%TEST_GLOBALS%%
    daemon off;
    events { }
    http {
        %%TEST_GLOBALS_HTTP%%
        server {
            listen 127.0.0.1:8080;
            location / { return 200 "hello"; }
        }
    }
    EOF

    $t->run();
    like(http_get('/'), qr/hello/, 'hello');

=head1 DESCRIPTION

Written from scratch with core Perl modules only; implements the subset of
the API of nginx-tests' C<lib/Test/Nginx.pm> that nginx-tests style test
files use, so that such files run with C<prove -I t/lib t/>.

=head2 Exported functions

=over

=item http($request, %opts)

Connects to 127.0.0.1:port(8080) (or C<< PeerAddr => 'host:port' >>, or
uses C<< socket => $s >>), sends the raw request, then, after C<sleep>
seconds if given, C<body> unless C<aborted>; reads to EOF and returns the
raw response, or C<undef> on connect error or timeout (C<timeout> option,
default C<TEST_NGINX_TIMEOUT> or 8 s).  With C<< start => 1 >> it returns
the socket right after sending; finish with C<http_end($s)>.

=item http_get($uri, %opts), http_head($uri, %opts)

C<GET>/C<HEAD> $uri C<HTTP/1.0> with C<Host: localhost>, CRLF line ends.

=item port($n, %opts)

Maps a logical port (8080, 8081, ...) to a free port on 127.0.0.1, the
same for the whole process.  The port is also free for UDP
(C<< udp => 1 >> is accepted).  Until nginx or a daemon is started, the
port is kept bound (SO_REUSEADDR, not listening) so that no other process
gets it.

=item log_in($text), log_out($text)

With C<TEST_NGINX_VERBOSE>, print received (C<<< << >>>) and sent
(C<<< >> >>>) data as TAP comments (unprintable bytes as C<\xNN>).

=item http_start, http_end, http_content (on request)

C<http_content($response)> returns the body, de-chunked if needed.

=back

=head2 Methods

C<new>, C<testdir>, C<has(@features)> (plans skip_all if one is missing),
C<has_module($feature)>, C<has_version($v)>, C<has_daemon($name)>,
C<plan($n)>, C<todo_alerts>, C<write_file($name, $content)>,
C<write_file_expand($name, $content)>, C<read_file($name)>,
C<test_globals>, C<test_globals_http>, C<test_globals_stream>,
C<run([$template])>, C<try_run($message)>, C<reload>, C<stop>,
C<run_daemon($cmd_or_coderef, @args)>, C<stop_daemons>,
C<waitforsocket('host:port')>, C<waitforfile($file [, $pid])>.

C<has_module>: C<http> is there unless C<--without-http>; a feature is
missing if C<nginx -V> shows C<--without-[http_]NAME[_module]>; features
that are only built on request (C<http_ssl>/C<ssl>, C<http_v2>, C<realip>,
C<stream>, C<mail>, C<debug>, ...) need C<--with-...>; a C<=dynamic> one
counts only if C<TEST_NGINX_GLOBALS> has a C<load_module> for it; any
other name is assumed present.

C<write_file_expand> replaces C<%%TEST_GLOBALS%%> (C<pid>, C<error_log ...
debug>, C<user root> when running as root and no C<user> directive is in
the file or C<TEST_NGINX_GLOBALS>, then C<TEST_NGINX_GLOBALS>),
C<%%TEST_GLOBALS_HTTP%%> (C<root>, C<access_log>, the C<*_temp_path>s of
the modules present, then C<TEST_NGINX_GLOBALS_HTTP>),
C<%%TEST_GLOBALS_STREAM%%> (C<TEST_NGINX_GLOBALS_STREAM>), C<%%TESTDIR%%>,
C<%%PORT_n%%>, C<%%PORT_n_UDP%%>, and every C<127.0.0.1:8NNN> /
C<[::1]:8NNN> with the port from C<port(8NNN)>.  No C<load_module> lines
are added automatically: modules are loaded only through
C<TEST_NGINX_GLOBALS>.

C<run> forks and execs C<nginx -p DIR/ -c DIR/nginx.conf -e DIR/error.log>
(plus C<-g "pid ...; error_log ...;"> if C<%%TEST_GLOBALS%%> was not
used; nginx's stdout/stderr go to DIR/stderr), then waits (up to
C<TEST_NGINX_START_TIMEOUT>, default 5 s) for the pid file and for every
TCP C<listen> port of nginx.conf to be listening.  If nginx exits or does
not come up, it is killed and reaped, and C<run> dies with the tails of
error.log and DIR/stderr; error.log stays readable.  C<run($file)> first
expands the template C<$file> into nginx.conf.  C<try_run> turns a
failure into C<plan skip_all>.

C<stop> sends QUIT, then TERM, then KILL (after
C<TEST_NGINX_STOP_TIMEOUT>, default 5 s, then 5 s each), and stops the
daemons (TERM, then KILL after 3 s).  Test sockets left open with a
request in progress delay a graceful stop.

C<reload> sends HUP and returns once the new workers are started and the
old ones stopped accepting, or once an C<[emerg]> shows that the reload
failed (the old configuration stays then).

=head2 The extra tests

C<plan($n)> plans C<$n + 2> tests, as nginx-tests does.  When a
Test::Nginx object is finished (after C<stop>) and a numeric plan exists,
it runs C<no alerts> (fails on C<[alert]> lines in error.log, such as
C<worker process N exited on signal 6>; TODO after C<todo_alerts>) and
C<no sanitizer errors> (C<Sanitizer> lines in error.log or DIR/stderr).
Objects are finished in C<DESTROY>, or, if still alive then, in this
module's C<END> block, which runs before Test::Builder's end-of-test
checks.  Every object runs these two tests, so a test file should keep only
one object alive after C<plan>: finish others (C<undef $t2>) before
planning.

=head2 Environment

C<TEST_NGINX_BINARY> (default C<../nginx/objs/nginx>; a relative path is
also tried relative to C<$PWD>), C<TEST_NGINX_GLOBALS>,
C<TEST_NGINX_GLOBALS_HTTP>, C<TEST_NGINX_GLOBALS_STREAM>,
C<TEST_NGINX_VERBOSE>, C<TEST_NGINX_LEAVE> (keep the test directory),
C<TEST_NGINX_CATLOG> (print error.log at the end), C<TEST_NGINX_TIMEOUT>,
C<TEST_NGINX_START_TIMEOUT>, C<TEST_NGINX_STOP_TIMEOUT>.

=cut
