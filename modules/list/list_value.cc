#include "modules/list/list_value.h"

#include <memory>
#include <optional>

#include "daemon/type_ids.h"

namespace pylon::list {
namespace {

bool RestoreList(std::string_view payload, daemon::FamilyStates&, daemon::RestoredValue* out) {
  // Nodes are cut by the default list-max-listpack-size: the config is not at hand here, and
  // the node size is not visible in any reply.
  std::optional<List> list = List::Deserialize(payload, Limits{});
  // An empty list is no key in Redis: a dump of one is corrupt.
  if (!list || list->empty()) return false;
  out->object = std::make_unique<ListValue>(std::move(*list));
  return true;
}

}  // namespace

const daemon::ValueType kListType = {
    .id = daemon::type_id::kList, .name = "list", .restore = RestoreList, .evictable = true};

}  // namespace pylon::list
