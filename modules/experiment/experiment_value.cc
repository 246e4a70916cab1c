#include "modules/experiment/experiment_value.h"

#include <memory>

#include "daemon/type_ids.h"

namespace pylon::experiment {

namespace {

bool RestoreExperiment(std::string_view payload, daemon::RestoredValue* out) {
  std::optional<Definition> definition = Decode(payload);
  if (!definition) return false;
  out->object = std::make_unique<ExperimentValue>(std::move(*definition));
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

ExperimentStats& Stats() {
  static ExperimentStats stats;
  return stats;
}

ExperimentValue::ExperimentValue(Definition definition)
    : definition_(std::move(definition)),
      assigned_(definition_.variants.size(), 0),
      bytes_(sizeof(*this) + BytesOf(definition_)) {
  Stats().experiments++;
}

ExperimentValue::~ExperimentValue() { Stats().experiments--; }

Assignment ExperimentValue::Assign(std::string_view user, const Attributes& attrs) {
  const Assignment a = experiment::Assign(definition_, user, attrs);
  if (a.variant) {
    assigned_[*a.variant]++;
    Stats().assigned++;
  } else {
    (a.excluded == Exclusion::kTargeting ? excluded_targeting_ : excluded_traffic_)++;
    Stats().excluded++;
  }
  return a;
}

}  // namespace pylon::experiment
