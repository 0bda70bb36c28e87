// The composition root: builds every part from the configuration, runs the listener, the
// callback sender and the expiry sweeper on one io_context, and shuts them down in order.
#pragma once

#include "app/service/config.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>

namespace chal::service {

class service {
public:
    // Binds the listener at once (port() is valid after construction). Throws if the master
    // key is missing or the address cannot be bound.
    service(boost::asio::io_context& io, service_config config, core::clock_function clock = core::system_now);
    ~service();

    std::uint16_t port() const noexcept;

    // Applies migrations, then serves until request_shutdown(); returns after a graceful stop.
    boost::asio::awaitable<void> run();
    void request_shutdown();

private:
    struct parts;
    std::unique_ptr<parts> parts_;
};

}  // namespace chal::service
