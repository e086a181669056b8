// The built-in models (builtin.cpp): every family registers, in the order `fufi models` lists them, on any
// registry (not only the process-wide one), and once each.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "fufi/core/error.h"
#include "fufi/model.h"
#include "fufi/model/builtin.h"

namespace fufi_test_builtin {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

namespace {

const std::vector<std::string> kBuiltinOrder{"uniform", "historical", "urbanfm", "urbanpy", "deeplgr",
                                             "fode",    "urbanode",   "cufar",   "uno",     "srcnn",
                                             "espcn",   "vdsr",       "deepsd",  "srresnet", "plgf"};

}  // namespace

TEST(Builtin, EveryFamilyRegistersInTheListedOrder) {
  ModelRegistry registry;
  EXPECT_TRUE(registry.names().empty());
  register_builtin_models(registry);
  EXPECT_EQ(registry.names(), kBuiltinOrder);
  // The TorchScript family: "torchscript:PATH" names are models, the bare prefix is not.
  ASSERT_EQ(registry.families().size(), 1u);
  EXPECT_EQ(registry.families()[0].prefix, "torchscript");
  EXPECT_TRUE(registry.contains("torchscript:/some/model.pt"));
  EXPECT_FALSE(registry.contains("torchscript:"));
}

TEST(Builtin, TheProcessWideRegistryHoldsExactlyTheBuiltins) {
  EXPECT_EQ(ModelRegistry::instance().names(), kBuiltinOrder);
  const auto names = ModelRegistry::instance().names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size()) << "a name registered twice";
}

TEST(Builtin, EachFamilyFunctionRegistersItsOwnModels) {
  auto names_of = [](void (*register_family)(ModelRegistry&)) {
    ModelRegistry registry;
    register_family(registry);
    return registry.names();
  };
  EXPECT_EQ(names_of(register_naive_models), (std::vector<std::string>{"uniform", "historical"}));
  EXPECT_EQ(names_of(register_urbanfm_family_models),
            (std::vector<std::string>{"urbanfm", "urbanpy", "deeplgr", "fode", "urbanode"}));
  EXPECT_EQ(names_of(register_cufar_models), (std::vector<std::string>{"cufar"}));
  EXPECT_EQ(names_of(register_uno_models), (std::vector<std::string>{"uno"}));
  EXPECT_EQ(names_of(register_sr_baseline_models),
            (std::vector<std::string>{"srcnn", "espcn", "vdsr", "deepsd", "srresnet"}));
  EXPECT_EQ(names_of(register_plgf_models), (std::vector<std::string>{"plgf"}));
}

TEST(Builtin, RegisteringTwiceIsAnErrorNamingTheModel) {
  ModelRegistry registry;
  register_builtin_models(registry);
  try {
    register_builtin_models(registry);
    FAIL() << "a second registration was accepted";
  } catch (const fufi::RuntimeError& e) {
    EXPECT_NE(e.message().find("model 'uniform' registered twice"), std::string::npos) << e.message();
  }
}

}  // namespace fufi_test_builtin
