// Host name lookups a test controls, for http::client_config::lookup: the system resolver is
// what we cannot control, so names starting with "slow" hang until released (as a dead DNS
// server does) and every other name is 127.0.0.1.
#pragma once

#include "app/http/client.hpp"
#include "app/http/client_error.hpp"
#include "app/http/resolver.hpp"

#include <boost/asio/ip/address_v4.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace chal::testing {

class held_lookups {
public:
    ~held_lookups() { release(); }
    http::blocking_lookup function() {
        return [this](const std::string& host, std::uint16_t port) -> boost::system::result<http::resolved_endpoints> {
            if (host.rfind("slow", 0) == 0) {
                std::unique_lock lock(mutex_);
                ++held_;
                released_.wait_for(lock, std::chrono::seconds{30}, [this] { return open_; });
                --held_;
                return make_error_code(http::client_errc::dns_failure);
            }
            return http::resolved_endpoints{{boost::asio::ip::address_v4::loopback(), port}};
        };
    }
    void release() {
        std::lock_guard lock(mutex_);
        open_ = true;
        released_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable released_;
    bool open_ = false;
    int held_ = 0;
};

}  // namespace chal::testing
