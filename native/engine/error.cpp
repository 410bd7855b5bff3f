#include "engine/error.hpp"

namespace scout {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Io: return "io";
    case ErrorCode::Safetensors: return "safetensors";
    case ErrorCode::ShardIndex: return "shard_index";
    case ErrorCode::Config: return "config";
    case ErrorCode::ModelMismatch: return "model_mismatch";
    case ErrorCode::OutOfMemory: return "out_of_memory";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

}  // namespace scout
