#pragma once
// Umbrella header of fufi_model.
#include "fufi/model/layers.h"
#include "fufi/model/model.h"
#include "fufi/model/registry.h"
