// go_layout.cpp: member offsets by name from a Go program's DWARF (libdw).
#include "gort/go_layout.h"

#include <dwarf.h>

#include <array>
#include <cstring>

namespace ts::gort {
namespace {

const char* die_name(Dwarf_Die* d) {
  const char* n = dwarf_diename(d);
  return n ? n : "";
}

// strip_typedefs() follows typedef/const/volatile links to the type they name.
bool strip_typedefs(Dwarf_Die* d) {
  for (int i = 0; i < 16; ++i) {
    const int tag = dwarf_tag(d);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type) return true;
    Dwarf_Attribute a;
    if (!dwarf_attr(d, DW_AT_type, &a) || !dwarf_formref_die(&a, d)) return false;
  }
  return false;
}

// member() finds member `name` of struct `s`, its offset and its (typedef-stripped) type.
bool member(Dwarf_Die* s, std::string_view name, uint64_t* offset, Dwarf_Die* type) {
  Dwarf_Die c;
  if (dwarf_child(s, &c) != 0) return false;
  do {
    if (dwarf_tag(&c) != DW_TAG_member || name != die_name(&c)) continue;
    Dwarf_Attribute a;
    Dwarf_Word off = 0;
    if (!dwarf_attr(&c, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &off) != 0) return false;
    if (!dwarf_attr(&c, DW_AT_type, &a) || !dwarf_formref_die(&a, type) || !strip_typedefs(type)) return false;
    *offset = off;
    return true;
  } while (dwarf_siblingof(&c, &c) == 0);
  return false;
}

// atomic_wrapper() tells whether a struct type is one of Go's atomic wrappers (value inside).
bool atomic_wrapper(Dwarf_Die* t) {
  const std::string_view n = die_name(t);
  return n.find("atomic.") != std::string_view::npos && dwarf_tag(t) == DW_TAG_structure_type;
}

}  // namespace

GoLayout::GoLayout(Dwarf* dw, std::initializer_list<std::string_view> wanted) {
  if (!dw) return;
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  while (dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, c;
    if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &c) == 0) {
      do {
        if (dwarf_tag(&c) != DW_TAG_structure_type) continue;
        const std::string_view n = die_name(&c);
        for (std::string_view w : wanted)
          if (n == w && !types_.count(n)) types_.emplace(std::string(n), c);
      } while (dwarf_siblingof(&c, &c) == 0);
    }
    if (types_.size() == wanted.size()) break;
    off = next;
  }
}

uint64_t GoLayout::size_of(std::string_view type) const {
  const auto it = types_.find(type);
  if (it == types_.end()) return 0;
  Dwarf_Die d = it->second;
  const int s = dwarf_bytesize(&d);
  return s > 0 ? static_cast<uint64_t>(s) : 0;
}

Field GoLayout::field(std::string_view type, std::string_view path) const {
  Field f;
  const auto it = types_.find(type);
  if (it == types_.end()) return f;
  Dwarf_Die cur = it->second;
  uint64_t offset = 0;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view step = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (dwarf_tag(&cur) != DW_TAG_structure_type) return f;
    uint64_t o = 0;
    Dwarf_Die t;
    if (!member(&cur, step, &o, &t)) return f;
    offset += o;
    cur = t;
  }
  // Go 1.20+ wraps atomics: atomic.Uint32{noCopy; value uint32}, atomic.Bool{u atomic.Uint8}.
  for (int depth = 0; depth < 3 && atomic_wrapper(&cur); ++depth) {
    uint64_t o = 0;
    Dwarf_Die t;
    if (!member(&cur, "value", &o, &t) && !member(&cur, "u", &o, &t)) return f;
    offset += o;
    cur = t;
  }
  const int tag = dwarf_tag(&cur);
  int size = dwarf_bytesize(&cur);
  // Go describes a func value (a pointer to its closure) as a DW_TAG_subroutine_type of size 8.
  const bool pointer = tag == DW_TAG_pointer_type || tag == DW_TAG_subroutine_type;
  if (pointer && size <= 0) size = 8;
  if (tag != DW_TAG_base_type && !pointer) return f;
  if (size != 1 && size != 2 && size != 4 && size != 8) return f;
  Dwarf_Attribute a;
  Dwarf_Word enc = 0;
  f.is_signed = tag == DW_TAG_base_type && dwarf_attr(&cur, DW_AT_encoding, &a) && dwarf_formudata(&a, &enc) == 0 &&
                enc == DW_ATE_signed;
  f.offset = static_cast<uint32_t>(offset);
  f.size = static_cast<uint32_t>(size);
  f.found = true;
  return f;
}

std::string field_missing(std::string_view type, std::string_view path, std::string_view go_version) {
  return std::string(type) + "." + std::string(path) + " is not in the DWARF of this " +
         (go_version.empty() ? std::string("Go") : std::string(go_version)) +
         " program: its runtime layout is not one taskscope knows (a renamed field?); " + std::string(kStillWorks);
}

}  // namespace ts::gort
