// Entry point: everything else is in app/service/cli.cpp.
#include "app/service/cli.hpp"

int main(int argc, char** argv) {
    return chal::service::run_cli(std::vector<std::string>(argv + 1, argv + argc));
}
