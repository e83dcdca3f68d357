M/* Implicit int, old style: main() with no return type. */
main()
{
    return 0;
}
