// An experiment in the keyspace (TYPE "experiment"): its definition, and how many users each
// variant got since it was defined (kept in memory only: counts for an operator, not state).
// Never evicted by maxmemory: an experiment that vanished would send every user to "not in it".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/value.h"
#include "modules/experiment/experiment.h"

namespace pylon::experiment {

extern const daemon::ValueType kExperimentType;

// INFO # Experiments: the family's state in each server (daemon/family_state.h).
struct ExperimentStats {
  uint64_t experiments = 0;  // in the keyspace now
  uint64_t assigned = 0;     // EXP.ASSIGN answers with a variant
  uint64_t excluded = 0;     // EXP.ASSIGN answers null (targeting or traffic)
};
class ExperimentValue final : public daemon::Value {
 public:
  // `stats`: its server's, which the experiment books into for as long as it lives.
  ExperimentValue(ExperimentStats& stats, Definition definition);
  ~ExperimentValue() override;
  ExperimentValue(const ExperimentValue&) = delete;
  ExperimentValue& operator=(const ExperimentValue&) = delete;

  const daemon::ValueType& type() const override { return kExperimentType; }
  std::string_view Encoding() const override { return "experiment"; }
  size_t MemoryUsage() const override { return bytes_; }
  void Dump(std::string* out) const override { Encode(definition_, out); }

  const Definition& definition() const { return definition_; }
  // Assigns and counts.
  Assignment Assign(std::string_view user, const Attributes& attrs);
  const std::vector<uint64_t>& assigned() const { return assigned_; }
  uint64_t excluded_by_targeting() const { return excluded_targeting_; }
  uint64_t excluded_by_traffic() const { return excluded_traffic_; }

 private:
  ExperimentStats* stats_;
  Definition definition_;
  std::vector<uint64_t> assigned_;  // per variant
  uint64_t excluded_targeting_ = 0, excluded_traffic_ = 0;
  size_t bytes_;
};

}  // namespace pylon::experiment
