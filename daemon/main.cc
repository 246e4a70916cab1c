// pylond [config-file] [--directive value ...]
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/config.h"
#include "daemon/server.h"

namespace {

constexpr const char* kUsage =
    "Usage: pylond [/path/to/pylon.conf] [--directive value ...]\n"
    "       pylond --version\n"
    "       pylond --help\n"
    "\n"
    "Examples:\n"
    "       pylond conf/pylon.conf\n"
    "       pylond --port 7777 --loglevel verbose\n"
    "       pylond conf/pylon.conf --port 7777 --requirepass secret\n";

bool SetUpLogging(const pylon::daemon::Config& config) {
  std::shared_ptr<spdlog::logger> logger;
  if (config.logfile.empty()) {
    logger = spdlog::stdout_logger_st("pylond");
  } else {
    try {
      logger = spdlog::basic_logger_st("pylond", config.logfile);
    } catch (const spdlog::spdlog_ex& e) {
      std::fprintf(stderr, "pylond: can't open the log file '%s': %s\n", config.logfile.c_str(),
                   e.what());
      return false;
    }
    logger->flush_on(spdlog::level::info);
  }
  // Redis's look: pid:role day month year time level-mark message.
  logger->set_pattern("%P:M %d %b %Y %H:%M:%S.%e %^%L%$ %v");
  logger->set_level(pylon::daemon::SpdlogLevel(config.loglevel));
  spdlog::set_default_logger(logger);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.empty() && (args[0] == "--version" || args[0] == "-v")) {
    std::printf("pylond v=%s (Redis protocol compatible with 7.0)\n", PYLON_VERSION);
    return 0;
  }
  pylon::daemon::Config config;
  std::string error;
  if (!pylon::daemon::LoadConfig(args, &config, &error)) {
    std::fprintf(stderr, "pylond: %s\n", error.c_str());
    return 1;
  }
  if (!SetUpLogging(config)) return 1;
  // A client that disconnects while we write must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);

  // The pid file exists before the first connection is accepted, so whoever waits for the port
  // finds it.
  const std::string pidfile = config.pidfile;
  if (!pidfile.empty()) std::ofstream(pidfile) << getpid() << "\n";
  pylon::daemon::Server server(std::move(config));
  if (!server.StartCluster() || !server.StartPersistence() || !server.Listen()) {
    if (!pidfile.empty()) unlink(pidfile.c_str());
    return 1;
  }
  spdlog::info("pylond {} starting, pid {}", PYLON_VERSION, getpid());
  return server.Run();
}
