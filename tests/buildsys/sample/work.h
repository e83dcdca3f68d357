#ifndef WORK_H
#define WORK_H
unsigned long work(unsigned n);
#endif
