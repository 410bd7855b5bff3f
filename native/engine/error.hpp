// Typed errors of the engine core.
//
// Every failure that outside input can cause (a model file, a config, a request) is reported as
// a scout::Error with a stable code and a message that names the file, tensor or field at fault.
// The addon maps the code to a JavaScript error's `code` property; the sidecar maps it to a
// JSON-RPC error. Nothing in the core calls exit() or abort() on bad input.
#pragma once

#include <stdexcept>
#include <string>

namespace scout {

enum class ErrorCode {
  InvalidArgument,  // a caller passed something impossible (bad token id, bad option)
  NotFound,         // a file or folder that should exist does not
  Io,               // the OS refused (permissions, mmap failure, read error)
  Safetensors,      // a .safetensors file is malformed
  ShardIndex,       // model.safetensors.index.json is malformed or inconsistent
  Config,           // config.json is malformed or describes an unsupported model
  ModelMismatch,    // config and tensors disagree (missing tensor, wrong shape or dtype)
  OutOfMemory,      // an allocation the model needs cannot be made
  Cancelled,        // the caller cancelled; an answer, not a failure
  Internal,         // a bug in Scout
};

// Stable lower-case names, e.g. "safetensors"; the JS side sees them as `err.code` "SCOUT_…".
const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Thrown by long computations when their cancellation flag is set.
class Cancelled : public Error {
 public:
  Cancelled() : Error(ErrorCode::Cancelled, "cancelled") {}
};

}  // namespace scout
