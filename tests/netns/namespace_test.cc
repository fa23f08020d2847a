#include "netns/namespace.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace sr {
namespace {

ino_t inode_of(const NetNs& ns) {
  struct stat st {};
  EXPECT_EQ(fstat(ns.fd(), &st), 0);
  return st.st_ino;
}

TEST(NetNs, CreateLeavesTheCallerWhereItWas) {
  ino_t before = inode_of(NetNs::current());
  NetNs fresh = NetNs::create();
  EXPECT_EQ(inode_of(NetNs::current()), before);
  EXPECT_NE(inode_of(fresh), before);
}

TEST(NetNs, InNsEntersAndReturns) {
  NetNs fresh = NetNs::create();
  ino_t home = inode_of(NetNs::current());
  {
    InNs in(fresh);
    EXPECT_EQ(inode_of(NetNs::current()), inode_of(fresh));
  }
  EXPECT_EQ(inode_of(NetNs::current()), home);
}

TEST(NetNs, TwoCreatedNamespacesDiffer) {
  EXPECT_NE(inode_of(NetNs::create()), inode_of(NetNs::create()));
}

}  // namespace
}  // namespace sr
