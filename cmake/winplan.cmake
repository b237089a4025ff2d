# The Windows planner and the access-check model: pure C++ (no <windows.h>), built on
# every platform so the Linux unit tests cover it (tests/unit/windows/*.cpp).
file(GLOB CORDON_WINPLAN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../src/plan/windows/*.cpp)
add_library(cordon_winplan STATIC ${CORDON_WINPLAN_SOURCES})
target_link_libraries(cordon_winplan PUBLIC cordon_core)
