/* The Linux stub's entry point, apart from the stub's logic so unit tests can link that logic. */
#include "stub.h"

int main(int argc, char **argv)
{
	return stub_main(argc, argv);
}
