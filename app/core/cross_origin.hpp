// CSRF defence, layer 1: is a state-changing request from a browser on another origin? The
// algorithm of Go 1.25's http.CrossOriginProtection (golang/go#73626, Filippo Valsorda's
// "Cross-Site Request Forgery" analysis), except that Origin is compared with the service's
// configured public origin instead of the Host header, so the scheme and port count too and a
// proxy's Host rewriting cannot make a foreign origin look local. Pure: headers in, verdict out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chal::core {

// The parts of a request the check reads. As in Go, an empty header counts as absent.
struct fetch_metadata {
    std::string_view method;          // "POST"; HTTP methods are case-sensitive
    std::string_view sec_fetch_site;  // Sec-Fetch-Site, sent by every browser since 2023
    std::string_view origin;          // Origin
};

enum class cross_origin_reason {
    // allowed
    safe_method,           // GET, HEAD, OPTIONS change nothing
    same_origin_fetch,     // Sec-Fetch-Site: same-origin
    user_initiated_fetch,  // Sec-Fetch-Site: none (typed URL, bookmark)
    origin_matches,        // no Sec-Fetch-Site (an older browser), Origin is ours
    not_a_browser,         // neither header: curl, an SDK, a server (no ambient cookies to abuse)
    // refused
    cross_origin_fetch,    // Sec-Fetch-Site: same-site, cross-site, or anything else
    foreign_origin,        // no Sec-Fetch-Site and Origin is not ours (including "null")
};

struct cross_origin_verdict {
    bool allowed;
    cross_origin_reason reason;
};

// `public_origin` is the output of public_origin_of() for the configured base URL.
cross_origin_verdict check_cross_origin(const fetch_metadata& request, std::string_view public_origin);

// One sentence for the client's error message (and the log), e.g. "Cross-origin request
// refused: ...". Never quotes a header value.
std::string_view describe(cross_origin_reason reason) noexcept;

// The ASCII serialisation of an http(s) URL's origin, as browsers send it in Origin: the scheme
// and host lowercased, the port kept only when it is not the scheme's default, no path or
// trailing slash ("HTTPS://Console.Example.com:443/x" -> "https://console.example.com").
// nullopt for anything else (another scheme, user info, no host, a bad port).
std::optional<std::string> public_origin_of(std::string_view base_url);

}  // namespace chal::core
