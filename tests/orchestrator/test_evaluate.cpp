// `fufi eval` as a library call (evaluate.cpp): metrics of two NPY files, as a table or JSON, and a loss.
#include <gtest/gtest.h>

#include <sstream>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/data/npy.h"
#include "fufi/orchestrator/evaluate.h"
#include "scratch_dir.h"

namespace fufi_test_evaluate {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

namespace {

struct Files {
  test::ScratchDir dir{"evaluate"};
  std::string pred = dir / "pred.npy", target = dir / "target.npy";
  Files() {
    const std::vector<float> p{1, 2, 3, 4}, t{1, 2, 3, 6};
    data::write_npy(pred, {1, 2, 2}, p.data());
    data::write_npy(target, {1, 2, 2}, t.data());
  }
};

}  // namespace

TEST(Evaluate, MetricsAsTableAndJson) {
  Files f;
  EvalOptions o;
  o.prediction = f.pred;
  o.target = f.target;
  std::ostringstream table, json;
  EXPECT_EQ(evaluate_files(o, table), 0);
  EXPECT_NE(table.str().find("MSE   1.000000"), std::string::npos) << table.str();  // (6-4)^2 / 4
  EXPECT_NE(table.str().find("MAE   0.500000"), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("cells 4"), std::string::npos) << table.str();
  o.format = "json";
  o.loss = "mse";
  evaluate_files(o, json);
  EXPECT_EQ(json.str(), "{\"mse\": 1, \"mae\": 0.5, \"mape\": 0.08333333333333333, \"rmse\": 1, \"cells\": 4, "
                        "\"loss\": \"mse\", \"loss_value\": 1}\n");
}

TEST(Evaluate, BadOptionsFailBeforeAnyFileIsRead) {
  EvalOptions o;
  o.prediction = o.target = "absent.npy";
  o.format = "xml";
  std::ostringstream out;
  test::expect_error<UsageError>([&] { evaluate_files(o, out); }, "--format: unknown format 'xml' (table, json)");
  o.format = "table";
  o.sets = {"loss_beta=1"};
  test::expect_error<UsageError>([&] { evaluate_files(o, out); }, "no --loss");
  o.loss = "dualfocl";
  test::expect_error<UsageError>([&] { evaluate_files(o, out); }, "dualfocl");
  o.loss.clear();
  o.sets.clear();
  test::expect_error<InputError>([&] { evaluate_files(o, out); }, "absent.npy");
  EXPECT_TRUE(out.str().empty());
}

}  // namespace fufi_test_evaluate
