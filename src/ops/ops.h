#pragma once
// Everything differentiable, in one include for model code.
#include "engine/autograd.h"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/cross_entropy.h"
#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/matmul.h"
#include "ops/norm.h"
#include "ops/reduce.h"
#include "ops/rope.h"
#include "ops/shape_ops.h"
#include "ops/softmax.h"
