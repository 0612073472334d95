/* The kernels instantiated for float64: libm's exp/tanh (the checking dtype). */
#include "kernels.h"
#include "mmf_common.h"
#include "vmath.h"

#define real double
#define SFX(name) name##_f64
#define EXP exp_f64
#define TANH tanh_f64
#define GEMM mmf_gemm_f64

#include "columns.inc"
#include "embedding.inc"
#include "linear.inc"
#include "batchnorm.inc"
#include "cross_entropy.inc"
#include "moments.inc"
#include "sgd.inc"
#include "train_steps.inc"
