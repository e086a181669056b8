# All third-party packages fufi uses, found once here. Debian packages on CPU machines;
# the LibTorch inside PyTorch on GPU machines (pass -DCMAKE_PREFIX_PATH=<torch cmake prefix>).

find_package(Torch REQUIRED)
# LibTorch 1.13 (Debian) needs C++17; ATen's headers require C++20 from PyTorch 2.12 on (GPU machines build
# against whatever PyTorch they have). Targets are created after this file, so they pick the standard up.
if(Torch_VERSION VERSION_GREATER_EQUAL 2.12)
  set(CMAKE_CXX_STANDARD 20)
endif()
find_package(fmt REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(MPI REQUIRED COMPONENTS CXX)
find_package(CLI11 CONFIG REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(Threads REQUIRED)
find_package(nlohmann_json REQUIRED)

# Torch's imported targets carry flags; wrap them in one interface target with SYSTEM includes so
# our warnings do not fire inside torch headers.
add_library(fufi_torch INTERFACE)
target_link_libraries(fufi_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(fufi_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})

# tcmalloc: a training step allocates and frees activations of tens of MB each; glibc's malloc serves those
# with fresh mmaps, so every step page-faults and zeroes them again (~30 % of PLGF's CPU step, measured with
# perf). tcmalloc keeps and reuses them. Linked into the fufi executable only (docs/PERFORMANCE.md).
set(FUFI_TCMALLOC_ENABLED OFF)
if(NOT FUFI_WITH_TCMALLOC STREQUAL "OFF")
  find_library(FUFI_TCMALLOC_LIBRARY NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  if(FUFI_TCMALLOC_LIBRARY)
    set(FUFI_TCMALLOC_ENABLED ON)
  elseif(FUFI_WITH_TCMALLOC STREQUAL "ON")
    message(FATAL_ERROR "FUFI_WITH_TCMALLOC=ON but libtcmalloc_minimal was not found (apt-get install libtcmalloc-minimal4)")
  endif()
endif()

# CUDA: on when the LibTorch found was built with it (torch_cuda / c10_cuda exist).
set(_torch_has_cuda OFF)
if(TARGET torch_cuda OR TARGET c10_cuda OR TORCH_CUDA_LIBRARIES)
  set(_torch_has_cuda ON)
endif()
if(FUFI_WITH_CUDA STREQUAL "AUTO")
  set(FUFI_CUDA_ENABLED ${_torch_has_cuda})
elseif(FUFI_WITH_CUDA)
  if(NOT _torch_has_cuda)
    message(FATAL_ERROR "FUFI_WITH_CUDA=ON but the LibTorch found (${Torch_DIR}) has no CUDA")
  endif()
  set(FUFI_CUDA_ENABLED ON)
else()
  set(FUFI_CUDA_ENABLED OFF)
endif()

# NCCL: needs the CUDA runtime headers/libraries and nccl.h + libnccl (e.g. /usr/local/cuda).
# It compiles and links even on machines without a GPU; the runtime checks for a device.
set(FUFI_NCCL_ENABLED OFF)
if(NOT FUFI_WITH_NCCL STREQUAL "OFF")
  if(NOT DEFINED CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    # NCCL_ROOT: e.g. the nvidia/nccl folder of PyTorch's pip wheels (scripts/gpu-build finds it), whose
    # library has only its versioned name libnccl.so.2. Preferred over the toolkit's so that fufi and
    # LibTorch load one NCCL.
    find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${NCCL_ROOT}/include ${CUDAToolkit_INCLUDE_DIRS}
              ${CUDAToolkit_LIBRARY_ROOT}/include)
    find_library(NCCL_LIBRARY NAMES nccl libnccl.so.2 HINTS ${NCCL_ROOT}/lib ${CUDAToolkit_LIBRARY_DIR})
  endif()
  if(CUDAToolkit_FOUND AND NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(FUFI_NCCL_ENABLED ON)
    add_library(fufi_nccl INTERFACE)
    target_include_directories(fufi_nccl SYSTEM INTERFACE ${NCCL_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
    target_link_libraries(fufi_nccl INTERFACE ${NCCL_LIBRARY} CUDA::cudart)
  elseif(FUFI_WITH_NCCL STREQUAL "ON")
    message(FATAL_ERROR "FUFI_WITH_NCCL=ON but nccl.h/libnccl or the CUDA toolkit were not found")
  endif()
endif()
