#!/usr/bin/perl
# bench/extract_sql.pl FILE NAME: prints the SQL text of `constexpr pg::query NAME{"NAME", ...};`
# from a C++ source file, so the pgbench scripts run exactly the statement the server prepares.
# Handles a raw string literal R"sql(...)sql" and concatenated ordinary literals with macros
# (#define NAME "..." "..." with backslash continuations). Exits 1 if the query is not found.
# Further arguments N=TEXT replace the placeholder $N by TEXT (e.g. 2=:tenant_id for pgbench);
# every placeholder must then be replaced.
use strict;
use warnings;

my ($file, $name, @subst) = @ARGV;
die "usage: extract_sql.pl FILE NAME [N=TEXT ...]\n" unless defined $name;
my %with;
for (@subst) {
    /^(\d+)=(.*)$/s or die "extract_sql.pl: bad substitution $_\n";
    $with{$1} = $2;
}
open my $fh, '<', $file or die "extract_sql.pl: cannot open $file: $!\n";
my $src = do { local $/; <$fh> };
close $fh;

# Macros made of string literals.
my %macro;
while ($src =~ /^#define\s+(\w+)\s+((?:[^\n]*\\\n)*[^\n]*)$/mg) {
    my ($m, $body) = ($1, $2);
    $body =~ s/\\\n/ /g;
    my $text = '';
    my $ok = 1;
    while ($body =~ /\G\s*("(?:[^"\\]|\\.)*")/gc) { $text .= unquote($1); }
    $ok = 0 if $body !~ /"/;
    $macro{$m} = $text if $ok;
}

sub unquote {
    my ($lit) = @_;
    $lit = substr($lit, 1, -1);
    $lit =~ s/\\n/\n/g;
    $lit =~ s/\\t/\t/g;
    $lit =~ s/\\"/"/g;
    $lit =~ s/\\\\/\\/g;
    return $lit;
}

$src =~ /constexpr\s+pg::query\s+\Q$name\E\s*\{\s*"\Q$name\E"\s*,\s*/g
    or die "extract_sql.pl: query $name not found in $file\n";
my $pos = pos($src);
my $rest = substr($src, $pos);
my $sql;
if ($rest =~ /^R"(\w*)\((.*?)\)\1"\s*\}/s) {
    $sql = $2;
} else {
    $sql = '';
    while (1) {
        if ($rest =~ /\G\s*("(?:[^"\\]|\\.)*")/gc) {
            $sql .= unquote($1);
        } elsif ($rest =~ /\G\s*(\w+)/gc) {
            my $m = $1;
            die "extract_sql.pl: unknown macro $m in $name\n" unless exists $macro{$m};
            $sql .= $macro{$m};
        } elsif ($rest =~ /\G\s*\}/gc) {
            last;
        } else {
            die "extract_sql.pl: cannot parse the text of $name\n";
        }
    }
}
$sql =~ s/^\s+//;
$sql =~ s/\s+$//;
if (%with) {
    $sql =~ s/\$(\d+)/exists $with{$1} ? $with{$1} : die "extract_sql.pl: no substitute for \$$1 in $name\n"/ge;
}
print "$sql\n";
