// ResultSink: where the agent's JSON lines go.
//
// One JSON object per line, written with a single write() and pushed out before
// the next step runs (tcdrain on a tty, fsync on a file), so a guest that dies
// mid-scenario loses at most the step that killed it. The runner hands us
// /dev/ttyS1; a tty is switched to raw mode first, because the default line
// discipline turns "\n" into "\r\n" (ONLCR) and would corrupt the JSON lines.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ioconform::agent {

class ResultSink {
 public:
  explicit ResultSink(const std::string& path);
  ~ResultSink();
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  void emit(const nlohmann::json& line);

 private:
  int fd_ = -1;
  bool is_tty_ = false;
};

}  // namespace ioconform::agent
