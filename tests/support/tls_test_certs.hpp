// A throwaway PKI for TLS tests, generated in memory with OpenSSL at test time: one CA and one
// server certificate signed by it. No files, nothing to expire in the repository.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace chal::testing {

struct test_certificates {
    std::string ca_pem;           // give to the client (client_config::extra_ca_pem)
    std::string server_cert_pem;  // leaf certificate signed by the CA
    std::string server_key_pem;
};

// A fresh EC P-256 CA and a server certificate with subjectAltName DNS:<dns_name> plus
// IP:<each of ip_sans>, valid from an hour ago for a day. Throws std::runtime_error when
// OpenSSL fails.
test_certificates make_test_certificates(
    std::string_view dns_name = "localhost", std::vector<std::string> ip_sans = {}
);

// A TLS server context that presents the server certificate.
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const test_certificates& certs);

}  // namespace chal::testing
