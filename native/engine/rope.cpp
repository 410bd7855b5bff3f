#include "engine/rope.hpp"

#include <cmath>
#include <numbers>

namespace scout {

std::vector<double> rope_inv_freq(const TextConfig& config) {
  const int64_t pairs = config.head_dim / 2;
  std::vector<double> inv(static_cast<size_t>(pairs));
  for (int64_t j = 0; j < pairs; ++j)
    inv[static_cast<size_t>(j)] =
        1.0 / std::pow(config.rope_theta, static_cast<double>(2 * j) / static_cast<double>(config.head_dim));
  const RopeScaling& s = config.rope_scaling;
  if (s.type != "llama3") return inv;

  // llama3 scaling: short wavelengths keep their frequency, long ones are slowed by `factor`,
  // and the band between is interpolated. With low_freq_factor == high_freq_factor (Scout) the
  // band is a single wavelength where the interpolation is 0/0; that wavelength keeps its
  // frequency, as a wavelength just below it does.
  const double old_len = static_cast<double>(s.original_max_position_embeddings);
  const double low_freq_wavelen = old_len / s.low_freq_factor;    // longer: fully scaled
  const double high_freq_wavelen = old_len / s.high_freq_factor;  // shorter: unscaled
  for (double& w : inv) {
    const double wavelen = 2.0 * std::numbers::pi / w;
    if (wavelen < high_freq_wavelen) continue;
    if (wavelen > low_freq_wavelen) {
      w /= s.factor;
    } else if (s.high_freq_factor != s.low_freq_factor) {
      const double smooth =
          (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      w = (1.0 - smooth) * w / s.factor + smooth * w;
    }
  }
  return inv;
}

void rope_angles(const std::vector<double>& inv_freq, int64_t p0, int64_t T, float* cos, float* sin) {
  const auto pairs = static_cast<int64_t>(inv_freq.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < pairs; ++j) {
      const double angle = static_cast<double>(p0 + t) * inv_freq[static_cast<size_t>(j)];
      cos[t * pairs + j] = static_cast<float>(std::cos(angle));
      sin[t * pairs + j] = static_cast<float>(std::sin(angle));
    }
}

float attention_temperature(const TextConfig& config, int64_t pos) {
  const double steps = std::floor(static_cast<double>(pos + 1) / config.floor_scale);
  return static_cast<float>(1.0 + config.attn_scale * std::log1p(steps));
}

}  // namespace scout
