#include "modules/experiment/experiment_value.h"

#include <memory>

#include "daemon/family_state.h"
#include "daemon/type_ids.h"

namespace pylon::experiment {

namespace {

bool RestoreExperiment(std::string_view payload, daemon::FamilyStates& states,
                       daemon::RestoredValue* out) {
  std::optional<Definition> definition = Decode(payload);
  if (!definition) return false;
  out->object =
      std::make_unique<ExperimentValue>(states.Get<ExperimentStats>(), std::move(*definition));
  return true;
}

size_t BytesOf(const Definition& d) {
  size_t bytes = d.salt.capacity() + d.variants.capacity() * (sizeof(Variant) + sizeof(uint64_t)) +
                 d.conditions.capacity() * sizeof(Condition);
  for (const Variant& v : d.variants) bytes += v.name.capacity();
  for (const Condition& c : d.conditions) bytes += c.attribute.capacity() + c.value.capacity();
  return bytes;
}

}  // namespace

const daemon::ValueType kExperimentType = {.id = daemon::type_id::kExperiment,
                                           .name = "experiment",
                                           .restore = RestoreExperiment,
                                           .evictable = false};

ExperimentValue::ExperimentValue(ExperimentStats& stats, Definition definition)
    : stats_(&stats),
      definition_(std::move(definition)),
      assigned_(definition_.variants.size(), 0),
      bytes_(sizeof(*this) + BytesOf(definition_)) {
  stats_->experiments++;
}

ExperimentValue::~ExperimentValue() { stats_->experiments--; }

Assignment ExperimentValue::Assign(std::string_view user, const Attributes& attrs) {
  const Assignment a = experiment::Assign(definition_, user, attrs);
  if (a.variant) {
    assigned_[*a.variant]++;
    stats_->assigned++;
  } else {
    (a.excluded == Exclusion::kTargeting ? excluded_targeting_ : excluded_traffic_)++;
    stats_->excluded++;
  }
  return a;
}

}  // namespace pylon::experiment
