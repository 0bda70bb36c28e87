#!/usr/bin/perl
# bench/tools/slack_requests.pl: signed Slack slash commands for bench/wrk/slack_command.lua.
#
#   slack_requests.pl --secret-file F --count N --files K --out PREFIX --users U --tag TAG [--offset O]
#
# Writes N distinct `/challenge <@target|name> reason` commands, as Slack sends them (form body,
# team T0BENCH, channel C0BENCH), signed with the app's signing secret the way Slack signs them:
# X-Slack-Signature = "v0=" . hex HMAC-SHA256(secret, "v0:" . timestamp . ":" . body), timestamp =
# now. Request i goes to file PREFIX.(i mod K) (one file per wrk thread) as a line
# "<timestamp> TAB <signature> TAB <body>". Every body differs (TAG and i in the trigger_id, the
# response_url and the reason), so no signature repeats: the server refuses a repeated one.
# Request i challenges target UT<(i + O) mod U> on behalf of requester UR<(7 i + 3) mod U> (6 digits),
# so any U consecutive requests name every target once.
# The server accepts a timestamp for 5 minutes: generate right before the run that uses them.
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256_hex);
use Getopt::Long;

my ($secret_file, $count, $files, $out, $users, $tag, $offset) = (undef, 0, 1, undef, 1000, 'r', 0);
GetOptions('secret-file=s' => \$secret_file, 'count=i' => \$count, 'files=i' => \$files, 'out=s' => \$out,
           'users=i' => \$users, 'tag=s' => \$tag, 'offset=i' => \$offset)
    && defined $secret_file && defined $out && $count > 0 && $files > 0 && $users > 0
    or die "usage: slack_requests.pl --secret-file F --count N --files K --out PREFIX --users U --tag TAG [--offset O]\n";
$tag =~ /^[A-Za-z0-9]+$/ or die "slack_requests.pl: --tag must be letters and digits\n";

open my $sf, '<', $secret_file or die "slack_requests.pl: cannot open $secret_file: $!\n";
my $secret = <$sf>;
close $sf;
chomp $secret;

sub form {  # application/x-www-form-urlencoded, as Slack sends it (space as +)
    my $s = shift;
    $s =~ s/([^A-Za-z0-9\-_.~ ])/sprintf('%%%02X', ord $1)/ge;
    $s =~ tr/ /+/;
    return $s;
}

my @fh;
for my $k (0 .. $files - 1) {
    open $fh[$k], '>', "$out.$k" or die "slack_requests.pl: cannot write $out.$k: $!\n";
}
my $ts = time;
for my $i (0 .. $count - 1) {
    my $target = sprintf 'UT%06d', ($i + $offset) % $users;
    my $requester = sprintf 'UR%06d', (7 * $i + 3) % $users;
    my $ticket = "INC-$tag-$i";
    my @fields = (
        token => 'deprecated', team_id => 'T0BENCH', team_domain => 'bench', channel_id => 'C0BENCH',
        channel_name => 'general', user_id => $requester, user_name => lc $requester, command => '/challenge',
        text => '<@' . $target . '|' . lc($target) . "> resetting the VPN token for ticket $ticket",
        api_app_id => 'A0BENCH', is_enterprise_install => 'false',
        response_url => "https://hooks.slack.com/commands/T0BENCH/$tag$i/" . sprintf('%08x', $i * 2654435761 % 4294967296),
        trigger_id => "$i.$tag." . sprintf('%032x', $i),
    );
    my @pairs;
    while (my ($name, $value) = splice @fields, 0, 2) { push @pairs, "$name=" . form($value); }
    my $body = join '&', @pairs;
    my $signature = 'v0=' . hmac_sha256_hex("v0:$ts:$body", $secret);
    print { $fh[$i % $files] } "$ts\t$signature\t$body\n";
}
for my $f (@fh) { close $f or die "slack_requests.pl: write failed: $!\n"; }
