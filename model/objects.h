// The iommufd object table (drivers/iommu/iommufd/main.c).
//
// Every object (IOAS, HWPT, device, access) has an id from one xarray per file
// descriptor: xa_alloc() with XA_FLAGS_ALLOC1 and xa_limit_31b hands out the
// lowest free id starting at 1. An aborted allocation releases its id at once,
// so a failed IOMMU_IOAS_ALLOC leaves no gap. `users` counts the references other
// objects hold (the kernel's obj->users minus the xarray's own 1): IOMMU_DESTROY
// succeeds only when it is zero (refcount_dec_if_one in iommufd_object_remove).
#pragma once
#include <map>
#include <optional>
#include <string_view>

#include "model/types.h"

namespace ioconform::model {

// Selftest: IOMMUFD_OBJ_SELFTEST, the CONFIG_IOMMUFD_TEST object owning a mock device.
enum class ObjType { Ioas, HwptPaging, Device, Access, Selftest };
std::string_view to_string(ObjType t);

struct Object {
  ObjType type;
  int users = 0;
};

class ObjectTable {
 public:
  u32 alloc(ObjType type);  // lowest free id >= 1
  // Lookup by id and type, as iommufd_get_object(): absent or wrong type is ENOENT
  // through `rule_id`.
  Decision get(u32 id, ObjType type, std::string_view rule_id) const;
  // IOMMU_DESTROY on `id`: ENOENT when absent, EBUSY while referenced.
  Decision remove_by_user(u32 id) const;
  void erase(u32 id) { objects_.erase(id); }
  Object* find(u32 id);
  const Object* find(u32 id) const;
  bool empty() const { return objects_.empty(); }
  const std::map<u32, Object>& all() const { return objects_; }

 private:
  std::map<u32, Object> objects_;
};

}  // namespace ioconform::model
