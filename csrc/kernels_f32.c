/* The kernels instantiated for float32: vectorised exp/tanh from vmath.h. */
#include "kernels.h"
#include "mmf_common.h"
#include "vmath.h"

#define real float
#define SFX(name) name##_f32
#define EXP exp_f32
#define TANH tanh_f32
#define GEMM mmf_gemm_f32

#include "columns.inc"
#include "embedding.inc"
#include "linear.inc"
#include "batchnorm.inc"
#include "cross_entropy.inc"
#include "moments.inc"
#include "sgd.inc"
#include "train_steps.inc"
