#include "slack/command.hpp"

#include "app/core/new_challenge.hpp"
#include "app/crypto/crypto.hpp"

#include <algorithm>

namespace chal::slack {
namespace {

constexpr std::string_view usage_lines =
    "*Usage*\n"
    "• `/challenge @user [reason]`: ask a colleague to prove it's really them\n"
    "• `/challenge user@example.com [reason]`: the same, by email address\n"
    "• `/challenge`: open the form (pick a person, a reason and an expiry)\n"
    "• `/challenge status <challenge-id>`: where a challenge stands\n"
    "• `/challenge help`: this message";

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

usage_error usage(std::string_view lead) {
    return {std::string(lead) + "\n\n" + std::string(usage_lines)};
}

// The first word, or a whole `<…>` token (a mention's label may contain spaces).
struct split_text {
    std::string_view head;
    std::string_view rest;
    bool unterminated = false;  // `<` without its `>`
};

split_text split_first(std::string_view text) {
    if (!text.empty() && text.front() == '<') {
        const auto close = text.find('>');
        if (close == std::string_view::npos) return {text, {}, true};
        return {text.substr(0, close + 1), trim(text.substr(close + 1))};
    }
    const auto end = std::find_if(text.begin(), text.end(), is_space);
    const auto n = static_cast<std::size_t>(end - text.begin());
    return {text.substr(0, n), trim(text.substr(n))};
}

// Deliberately simple: one @, a dotted domain, nothing Slack would have turned into markup.
// The real test is users.lookupByEmail.
bool looks_like_email(std::string_view s) noexcept {
    if (!core::is_acceptable_target_email(s)) return false;
    const auto at = s.find('@');
    if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
    const auto domain = s.substr(at + 1);
    if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
        domain.back() == '.')
        return false;
    return std::none_of(s.begin(), s.end(), [](char c) {
        return is_space(c) || std::string_view("<>()[]\\,;:\"|").find(c) != std::string_view::npos;
    });
}

// The reason as it will be stored: trimmed, unescaped, within the core's context limit.
std::variant<std::string, usage_error> reason_from(std::string_view rest) {
    auto reason = unescape_slack_text(trim(rest));
    if (reason.size() > max_reason_length())
        return usage_error{"That reason is too long: please keep it under " + std::to_string(max_reason_length()) +
                           " characters."};
    return reason;
}

bool starts_with_mention(std::string_view rest) {
    return rest.starts_with("<@");
}

challenge_command target_with_reason(std::string_view head, std::string_view rest) {
    if (starts_with_mention(rest)) return usage("Challenge one person at a time.");
    auto reason = reason_from(rest);
    if (auto* problem = std::get_if<usage_error>(&reason)) return std::move(*problem);
    auto& why = std::get<std::string>(reason);

    if (head.starts_with("<@")) {
        auto inner = head.substr(2, head.size() - 3);
        const auto id = inner.substr(0, inner.find('|'));
        if (!is_user_id(id)) return usage("I couldn't read that mention. Pick the person from Slack's suggestions.");
        return challenge_user{std::string(id), std::move(why)};
    }
    if (head.starts_with("<mailto:")) {
        auto inner = head.substr(8, head.size() - 9);
        const auto address = inner.substr(0, inner.find('|'));
        if (!looks_like_email(address)) return usage("That doesn't look like an email address.");
        return challenge_email{std::string(address), std::move(why)};
    }
    return challenge_email{std::string(head), std::move(why)};
}

}  // namespace

std::size_t max_reason_length() noexcept {
    return core::max_context_length;
}

std::string_view challenge_usage() noexcept {
    return usage_lines;
}

bool is_user_id(std::string_view text) noexcept {
    if (text.size() < 3 || text.size() > 32 || (text.front() != 'U' && text.front() != 'W')) return false;
    return std::all_of(text.begin() + 1, text.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

std::string user_mention(std::string_view user_id) {
    if (is_user_id(user_id)) return "<@" + std::string(user_id) + ">";
    return escape_slack_text(user_id);
}

std::string escape_slack_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

std::string unescape_slack_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    // One left-to-right pass, so "&amp;lt;" becomes "&lt;" and is not decoded twice.
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto tail = text.substr(i);
        if (tail.starts_with("&amp;")) {
            out.push_back('&');
            i += 4;
        } else if (tail.starts_with("&lt;")) {
            out.push_back('<');
            i += 3;
        } else if (tail.starts_with("&gt;")) {
            out.push_back('>');
            i += 3;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

challenge_command parse_challenge_command(std::string_view text) {
    text = trim(text);
    if (text.empty()) return open_challenge_modal{};
    const auto [head, rest, unterminated] = split_first(text);
    if (unterminated) return usage("I couldn't read that. Mention a person or give their email address.");

    const auto keyword = lower(head);
    if (keyword == "help") return show_help{};
    if (keyword == "status") {
        const auto [id, extra, unclosed] = split_first(rest);
        if (id.empty()) return usage("Which challenge? Add its id: `/challenge status <challenge-id>`.");
        if (unclosed || !extra.empty() || !crypto::is_uuid(id))
            return usage("That isn't a challenge id. It looks like `0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60`.");
        return show_status{lower(id)};
    }

    if (head.starts_with("<@") || head.starts_with("<mailto:")) return target_with_reason(head, rest);
    if (head.starts_with("<#")) return usage("That's a channel. Mention one person instead.");
    if (head.starts_with("<!")) return usage("Group mentions can't be challenged. Mention one person instead.");
    if (head.starts_with("<")) return usage("I couldn't read that. Mention a person or give their email address.");
    if (looks_like_email(head)) return target_with_reason(head, rest);
    if (head.starts_with("@"))
        return usage(
            "Slack didn't recognise that name as a person. Pick them from Slack's suggestions as you type, or "
            "use their email address."
        );
    return usage("I didn't understand that.");
}

}  // namespace chal::slack
