/* bindgen input: the whole public API of the vendored ENet. */
#include <enet/enet.h>
