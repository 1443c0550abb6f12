// The object table; see objects.h.
#include "model/objects.h"

namespace ioconform::model {

std::string_view to_string(ObjType t) {
  switch (t) {
    case ObjType::Ioas: return "ioas";
    case ObjType::HwptPaging: return "hwpt_paging";
    case ObjType::Device: return "device";
    case ObjType::Access: return "access";
    case ObjType::Selftest: return "selftest";
  }
  return "?";
}

u32 ObjectTable::alloc(ObjType type) {
  u32 id = 1;
  for (const auto& [used, obj] : objects_) {  // ordered: the first gap is the lowest free id
    if (used != id) break;
    id++;
  }
  objects_[id] = Object{type, 0};
  return id;
}

Decision ObjectTable::get(u32 id, ObjType type, std::string_view rule_id) const {
  auto it = objects_.find(id);
  if (it == objects_.end() || it->second.type != type) return fail(rule_id);
  return success();
}

Decision ObjectTable::remove_by_user(u32 id) const {
  auto it = objects_.find(id);
  if (it == objects_.end()) return fail("destroy.no_object");
  if (it->second.users > 0) return fail("destroy.object_busy");
  return success();
}

Object* ObjectTable::find(u32 id) {
  auto it = objects_.find(id);
  return it == objects_.end() ? nullptr : &it->second;
}

const Object* ObjectTable::find(u32 id) const {
  auto it = objects_.find(id);
  return it == objects_.end() ? nullptr : &it->second;
}

}  // namespace ioconform::model
